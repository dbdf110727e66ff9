/** Where a service's circuit stands (DESIGN.md, "Failing services"). */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Whether one request may go to the service; a refused one learns how long the circuit stays open. */
export type Admission =
  { readonly admitted: true; readonly probe: boolean } | { readonly admitted: false; readonly retryAfterMs: number };

/** Settings of a circuit; `now` is injectable so the state machine is tested without waiting. */
export interface CircuitOptions {
  /** Consecutive failed exchanges that open the circuit. */
  readonly failureThreshold: number;
  /** How long an open circuit refuses requests before it lets one through. */
  readonly openMs: number;
  readonly now?: () => number;
  /** Called once per change of state. */
  readonly onChange?: (to: CircuitState, from: CircuitState) => void;
}

const ADMITTED: Admission = { admitted: true, probe: false };
const PROBE: Admission = { admitted: true, probe: true };

/**
 * A circuit breaker for one service: a pure state machine, told of each exchange's outcome.
 * Closed: every request goes; `failureThreshold` consecutive failures open it. Open: every request
 * is refused for `openMs`. Then half-open: one request (the probe) goes, the others are refused
 * until it ends; its success closes the circuit, its failure opens it again. Outcomes of requests
 * admitted before the circuit last changed are ignored: they say nothing about the service now.
 */
export class Circuit {
  readonly #threshold: number;
  readonly #openMs: number;
  readonly #now: () => number;
  readonly #onChange: (to: CircuitState, from: CircuitState) => void;
  #state: CircuitState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #probing = false;

  constructor(options: CircuitOptions) {
    if (!(options.failureThreshold >= 1)) throw new RangeError('failureThreshold must be at least 1');
    this.#threshold = options.failureThreshold;
    this.#openMs = options.openMs;
    this.#now = options.now ?? Date.now;
    this.#onChange = options.onChange ?? (() => {});
  }

  /** The state now. An open circuit whose time is up turns half-open when the next request arrives. */
  get state(): CircuitState {
    return this.#state;
  }

  /** Decides whether a request may go now. An admitted request must later report exactly one outcome. */
  admit(): Admission {
    if (this.#state === 'closed') return ADMITTED;
    if (this.#state === 'open') {
      const left = this.#openLeft();
      if (left > 0) return { admitted: false, retryAfterMs: left };
      this.#move('half-open');
    }
    if (this.#probing) return { admitted: false, retryAfterMs: 0 };
    this.#probing = true;
    return PROBE;
  }

  /** The service answered (any HTTP status counts). */
  succeeded(admission: Admission): void {
    if (this.#state === 'closed') this.#failures = 0;
    else if (this.#isProbe(admission)) {
      this.#probing = false;
      this.#failures = 0;
      this.#move('closed');
    }
  }

  /** The exchange failed at the gateway: refused, reset, unresolvable, or timed out. */
  failed(admission: Admission): void {
    if (this.#state === 'closed') {
      this.#failures += 1;
      if (this.#failures >= this.#threshold) this.#open();
    } else if (this.#isProbe(admission)) {
      this.#probing = false;
      this.#open();
    }
  }

  /** The exchange ended without telling anything about the service (the client left): a probe's place is freed. */
  released(admission: Admission): void {
    if (this.#isProbe(admission)) this.#probing = false;
  }

  #isProbe(admission: Admission): boolean {
    return this.#state === 'half-open' && admission.admitted && admission.probe && this.#probing;
  }

  #openLeft(): number {
    return this.#openedAt + this.#openMs - this.#now();
  }

  #open(): void {
    this.#openedAt = this.#now();
    this.#move('open');
  }

  #move(to: CircuitState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#onChange(to, from);
  }
}
