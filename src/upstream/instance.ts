import http from 'node:http';
import https from 'node:https';

/** Free keep-alive sockets are closed after this long: below the 5 s keep-alive timeout of Node and Spring servers. */
const FREE_SOCKET_TIMEOUT_MS = 4000;
/** Repeated ejections double the time, up to this many times the first (DESIGN.md, "Upstreams"). */
const MAX_EJECTION_FACTOR = 10;

/** Where an instance stands for the balancer: `up`, taken out by its failures, or failing its active health check. */
export type InstanceState = 'up' | 'ejected' | 'unhealthy';

/** Where to reach an instance: one address of one of the service's URLs. */
export interface InstanceAddress {
  readonly address: string;
  readonly port: number;
  /** `Host` of the requests it gets: the URL's host, as if the gateway had asked the name (change origin). */
  readonly host: string;
  /** The URL's host name, for TLS (SNI and the certificate check). */
  readonly servername: string;
  readonly secure: boolean;
}

/**
 * One instance of a service: its own keep-alive pool, its requests in flight, and its passive
 * health (consecutive failures at the gateway, ejections). The instance set owns the policy of
 * when to eject; the instance keeps the facts.
 */
export class Instance {
  /** `address:port` (`[v6]:port`): the instance's name in logs, metrics and `/health/services`. */
  readonly key: string;
  readonly target: InstanceAddress;
  readonly agent: http.Agent;
  /** Requests sent and not yet answered or failed: what the balancer compares. */
  outstanding = 0;
  /** False while the active health check fails. */
  healthy = true;
  /** Gone from DNS: gets no new requests; its pool closes once the last request in flight is done. */
  retired = false;
  #failures = 0;
  #ejections = 0;
  #ejectedUntil = 0;

  constructor(target: InstanceAddress) {
    this.target = target;
    this.key = instanceKey(target.address, target.port);
    const options = { keepAlive: true, scheduling: 'lifo', timeout: FREE_SOCKET_TIMEOUT_MS } as const;
    this.agent = target.secure ? new https.Agent(options) : new http.Agent(options);
  }

  /** Where the instance stands at `now`. */
  state(now: number): InstanceState {
    if (now < this.#ejectedUntil) return 'ejected';
    return this.healthy ? 'up' : 'unhealthy';
  }

  /** The instance answered: its failure count starts over, and a later ejection starts from the base time again. */
  succeeded(): void {
    this.#failures = 0;
    this.#ejections = 0;
  }

  /** A gateway-side failure (refused, reset before the response, timed out); returns the consecutive count. */
  failed(): number {
    this.#failures += 1;
    return this.#failures;
  }

  /** Takes the instance out until `now + baseMs × 2^(n-1)` (at most 10 × baseMs); returns that time. */
  eject(now: number, baseMs: number): number {
    const factor = Math.min(2 ** this.#ejections, MAX_EJECTION_FACTOR);
    this.#ejections += 1;
    this.#failures = 0;
    this.#ejectedUntil = now + baseMs * factor;
    return baseMs * factor;
  }

  /** Stops taking requests; the pool is destroyed once nothing is in flight (now, or when the last request ends). */
  retire(): void {
    this.retired = true;
    this.closeIfIdle();
  }

  /** Called as a request ends: a retired instance's pool goes with its last request. */
  closeIfIdle(): void {
    if (this.retired && this.outstanding === 0) this.agent.destroy();
  }
}

/** `address:port`, with an IPv6 address in brackets. */
export function instanceKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
