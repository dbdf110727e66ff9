/** A listener or rejection handler for an outcome already reported elsewhere, or one that needs no answer. */
export function ignore(): void {}
