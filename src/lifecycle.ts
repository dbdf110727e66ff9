import type { Socket } from 'node:net';

/**
 * Whether the gateway is serving or draining, and which tunnels are open; shared by readiness, the drain layer, the
 * server, the tunnels and shutdown.
 */
export class Lifecycle {
  #draining = false;
  /** Connections that have carried a request (the drain layer records each one). */
  readonly #served = new WeakSet<Socket>();
  readonly #onDrain: Array<() => void> = [];
  /** How to close each open WebSocket tunnel. */
  readonly #tunnels = new Set<() => void>();
  /** Waiting for the last tunnel to close. */
  readonly #tunnelsClosed: Array<() => void> = [];

  /** True once shutdown has begun. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Records that `socket` carried a request. */
  markServed(socket: Socket): void {
    this.#served.add(socket);
  }

  /** Whether `socket` has carried a request. */
  hasServed(socket: Socket): boolean {
    return this.#served.has(socket);
  }

  /** Runs `callback` when shutdown begins. */
  onDrain(callback: () => void): void {
    this.#onDrain.push(callback);
  }

  /** Records an open tunnel and how to close it; returns the function that forgets it once it has closed. */
  openTunnel(close: () => void): () => void {
    this.#tunnels.add(close);
    return () => {
      this.#tunnels.delete(close);
      if (this.#tunnels.size === 0) for (const resolve of this.#tunnelsClosed.splice(0)) resolve();
    };
  }

  /** How many tunnels are open. */
  get openTunnels(): number {
    return this.#tunnels.size;
  }

  /**
   * Closes every open tunnel (at the end of the shutdown grace); resolves once each has closed and written its request
   * line.
   */
  closeTunnels(): Promise<void> {
    if (this.#tunnels.size === 0) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.#tunnelsClosed.push(resolve));
    for (const close of [...this.#tunnels]) close();
    return closed;
  }

  /** Marks the start of shutdown; readiness answers 503 from now on. */
  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    for (const callback of this.#onDrain) callback();
  }
}
