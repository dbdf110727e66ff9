/** Whether the gateway is serving or draining; shared by readiness, the drain layer and shutdown. */
export class Lifecycle {
  #draining = false;

  /** True once shutdown has begun. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Marks the start of shutdown; readiness answers 503 from now on. */
  drain(): void {
    this.#draining = true;
  }
}
