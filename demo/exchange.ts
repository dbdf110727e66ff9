import type { IncomingMessage, ServerResponse } from 'node:http';

/** Request bodies a stub reads at most: it only ever expects small JSON. */
const MAX_BODY_BYTES = 64 * 1024;
/** Headers a stub echoes back, so a caller sees what the gateway added on the way. */
const ECHOED_HEADERS = ['x-correlation-id', 'x-request-id', 'x-user-id', 'x-user-email', 'x-user-role'] as const;

/** Writes `body` as JSON with `status`. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** The echoed headers that arrived, by name; absent ones are left out. */
export function receivedHeaders(request: IncomingMessage): Record<string, string> {
  const seen: Record<string, string> = {};
  for (const name of ECHOED_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') seen[name] = value;
  }
  return seen;
}

/** The request body parsed as a JSON object, or undefined when it is not one (or is too large). */
export async function readJsonObject(request: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The path of a request target, without its query. */
export function pathOf(request: IncomingMessage): string {
  const target = request.url ?? '/';
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}
