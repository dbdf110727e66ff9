import type { GatewayMetrics } from './metrics.js';
import {
  buildRoutingSnapshot,
  type GatewayRouting,
  type RoutingSnapshot,
  type SnapshotContext,
} from './routing-snapshot.js';
import type { GatewayMiddleware } from './state.js';
import { withTimeout } from './with-timeout.js';

/**
 * A new service's first lookup is awaited this long before the swap; past it, its first requests wait for it
 * themselves.
 */
const READY_TIMEOUT_MS = 2000;

/**
 * Holds the gateway file's {@link RoutingSnapshot} in use and swaps in the next one. Its `layer`
 * pins the current snapshot on each request as it enters; one assignment swaps, so every request
 * sees either the old snapshot or the new one, whole. The upstreams the new one dropped are
 * retired: their requests and tunnels in flight finish, then their pools close.
 */
export class RoutingSwitch {
  readonly #context: SnapshotContext;
  readonly #metrics: GatewayMetrics;
  #current: RoutingSnapshot;
  #closed = false;

  constructor(file: GatewayRouting, context: SnapshotContext) {
    this.#context = context;
    this.#metrics = context.metrics;
    this.#current = buildRoutingSnapshot(file, context);
    this.#metrics.configLoaded(file.gatewayFile.sha256, this.#current.loadedAt);
  }

  /** The snapshot new requests run on. */
  get current(): RoutingSnapshot {
    return this.#current;
  }

  /** The onion layer that gives a request the current snapshot (`ctx.state.routing`) for its whole life. */
  readonly layer: GatewayMiddleware = (ctx, next) => {
    ctx.state.routing = this.#current;
    return next();
  };

  /**
   * Builds `file`'s snapshot aside, waits (briefly) for its new services' first lookup, then swaps
   * it in and retires the upstreams it no longer uses. Callers run one swap at a time.
   */
  async swap(file: GatewayRouting): Promise<RoutingSnapshot> {
    const previous = this.#current;
    const next = buildRoutingSnapshot(file, this.#context, previous);
    const fresh = [...next.upstreams.values()].filter((upstream) => previous.upstreams.get(upstream.name) !== upstream);
    await withTimeout(Promise.all(fresh.map((upstream) => upstream.ready())), READY_TIMEOUT_MS);
    // The gateway closed while the new services were looked up: nothing to swap into.
    if (this.#closed) {
      for (const upstream of fresh) upstream.close();
      return previous;
    }
    this.#current = next;
    this.#metrics.configLoaded(file.gatewayFile.sha256, next.loadedAt);
    for (const [name, upstream] of previous.upstreams) {
      if (next.upstreams.get(name) === upstream) continue;
      upstream.retire();
      if (!next.upstreams.has(name)) this.#metrics.forgetService(name);
    }
    return next;
  }

  /** Closes the current upstreams (retired ones close with their last request). */
  close(): void {
    this.#closed = true;
    for (const upstream of this.#current.upstreams.values()) upstream.close();
  }
}
