import type { Socket } from 'node:net';

/** Whether the gateway is serving or draining; shared by readiness, the drain layer, the server and shutdown. */
export class Lifecycle {
  #draining = false;
  /** Connections that have carried a request (the drain layer records each one). */
  readonly #served = new WeakSet<Socket>();
  readonly #onDrain: Array<() => void> = [];

  /** True once shutdown has begun. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Records that `socket` carried a request; returns whether it had carried one before. */
  served(socket: Socket): boolean {
    if (this.#served.has(socket)) return true;
    this.#served.add(socket);
    return false;
  }

  /** Whether `socket` has carried a request. */
  hasServed(socket: Socket): boolean {
    return this.#served.has(socket);
  }

  /** Runs `callback` when shutdown begins. */
  onDrain(callback: () => void): void {
    this.#onDrain.push(callback);
  }

  /** Marks the start of shutdown; readiness answers 503 from now on. */
  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    for (const callback of this.#onDrain) callback();
  }
}
