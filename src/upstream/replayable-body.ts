import { PassThrough, type Readable } from 'node:stream';

/**
 * A request body that can be sent again while no attempt has connected: a connection refused by
 * one instance has received nothing, so the request goes to another with the same bytes (DESIGN.md,
 * "Upstreams"). The chunks read before the first connection is up are kept, and only those:
 * backpressure (Node queues a request's writes until its socket connects, then stops reading) bounds
 * them to a few tens of KiB; once connected, nothing more is kept and the body simply streams.
 */
export class ReplayableBody {
  readonly #source: Readable;
  /** What was read so far, while no attempt has connected; undefined after. */
  #kept: Buffer[] | undefined = [];
  #current: PassThrough | undefined;

  constructor(source: Readable) {
    this.#source = source;
    source.on('data', (chunk: Buffer) => {
      this.#kept?.push(chunk);
      const current = this.#current;
      if (current !== undefined && !current.write(chunk)) {
        source.pause();
        current.once('drain', () => source.resume());
      }
    });
    source.once('end', () => this.#current?.end());
    source.on('error', (error) => this.#current?.destroy(error));
    // Nothing is read before an attempt can take it.
    source.pause();
  }

  /** The stream for a new attempt: what was read so far, then the rest as it comes. */
  attempt(): Readable {
    this.#current?.destroy();
    const current = new PassThrough();
    this.#current = current;
    const source = this.#source;
    if (source.errored !== null) current.destroy(source.errored);
    else {
      for (const chunk of this.#kept ?? []) current.write(chunk);
      if (source.readableEnded) current.end();
      else source.resume();
    }
    return current;
  }

  /** An attempt connected: the body can no longer go to another instance, so nothing more is kept. */
  connected(): void {
    this.#kept = undefined;
  }

  /** The exchange is over: the client's remaining bytes are read and dropped (see request-body.ts). */
  destroy(): void {
    this.#current?.destroy();
    this.#source.destroy();
  }
}
