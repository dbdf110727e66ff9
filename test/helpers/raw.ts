import net from 'node:net';

/** How a raw exchange ended: the server closed the connection, reset it, or neither within the time allowed. */
export type RawOutcome = 'closed' | 'reset' | 'timeout';

/** What came back on a raw socket. */
export interface RawReply {
  readonly outcome: RawOutcome;
  /** Everything received, as Latin-1 text. */
  readonly text: string;
  /** Status code of the first response line, when one arrived. */
  readonly status: number | undefined;
  /** The body after the first blank line, parsed as JSON when it is JSON. */
  readonly json: Record<string, unknown> | undefined;
  readonly elapsedMs: number;
}

/**
 * Writes `data` (one piece, or pieces with `gapMs` between them) on a fresh socket to
 * 127.0.0.1:`port` and reads until the server closes it, resets it, or `timeoutMs` passes.
 */
export function rawExchange(
  port: number,
  data: string | Buffer | Array<string | Buffer>,
  options: { timeoutMs?: number; gapMs?: number } = {},
): Promise<RawReply> {
  const { timeoutMs = 5000, gapMs = 0 } = options;
  const pieces = Array.isArray(data) ? data : [data];
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let outcome: RawOutcome = 'closed';
    let writer: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      outcome = 'timeout';
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') outcome = 'reset';
    });
    socket.on('close', () => {
      clearTimeout(deadline);
      clearInterval(writer);
      resolve(parseReply(outcome, Buffer.concat(received).toString('latin1'), Date.now() - started));
    });
    socket.once('connect', () => {
      if (gapMs === 0) {
        for (const piece of pieces) socket.write(piece);
        return;
      }
      let next = 0;
      writer = setInterval(() => {
        if (next < pieces.length && socket.writable) socket.write(pieces[next++]!);
      }, gapMs);
    });
  });
}

function parseReply(outcome: RawOutcome, text: string, elapsedMs: number): RawReply {
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1];
  const bodyStart = text.indexOf('\r\n\r\n');
  let json: Record<string, unknown> | undefined;
  try {
    json = bodyStart === -1 ? undefined : (JSON.parse(text.slice(bodyStart + 4)) as Record<string, unknown>);
  } catch {
    json = undefined;
  }
  return { outcome, text, status: status === undefined ? undefined : Number(status), json, elapsedMs };
}
