/** Whether the gateway is serving or draining; shared by readiness, the drain layer, the server and shutdown. */
export class Lifecycle {
  #draining = false;
  readonly #onDrain: Array<() => void> = [];

  /** True once shutdown has begun. */
  get draining(): boolean {
    return this.#draining;
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
