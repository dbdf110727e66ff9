import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

/** One request the bench sends: the same shape drives the load generators and the checks. */
export interface BenchRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** A small response read whole. */
export interface SmallResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/** Sends `request` on a fresh connection and reads the whole answer; fails after `timeoutMs`. */
export function fetchSmall(request: BenchRequest, timeoutMs = 5000): Promise<SmallResponse> {
  const options = {
    method: request.method,
    headers: request.headers as OutgoingHttpHeaders,
    agent: false,
    signal: AbortSignal.timeout(timeoutMs),
  };
  return new Promise((resolve, reject) => {
    const outgoing = http.request(request.url, options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

/** What one streamed download took. */
export interface Download {
  readonly status: number;
  readonly bytes: number;
  readonly seconds: number;
}

/** Streams a GET to nowhere, counting bytes; fails after `timeoutMs`. */
export function download(request: BenchRequest, timeoutMs: number): Promise<Download> {
  const options = {
    headers: request.headers as OutgoingHttpHeaders,
    agent: false,
    signal: AbortSignal.timeout(timeoutMs),
  };
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const outgoing = http.get(request.url, options, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      response.on('error', reject);
      response.on('end', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        resolve({ status: response.statusCode ?? 0, bytes, seconds });
      });
    });
    outgoing.on('error', reject);
  });
}

/** Resolves once `url` answers anything over HTTP; rejects after `timeoutMs` or when `hasExited()` turns true. */
export async function waitUntilAnswering(url: string, timeoutMs: number, hasExited: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (hasExited()) throw new Error(`exited before answering on ${url}`);
    try {
      await fetchSmall({ method: 'GET', url, headers: {} }, 1000);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`nothing answered on ${url} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
