import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { TIMED_OUT, withTimeout } from '../../src/with-timeout.js';

/** A response read whole: fine for tests, where bodies are small unless a test streams on purpose. */
export interface TestResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly body: Buffer;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

/** Options of {@link send}; `path` is sent exactly as given (no URL normalisation). */
export interface SendOptions {
  readonly port: number;
  readonly method?: string;
  readonly path: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: string | Buffer;
  readonly agent?: http.Agent | false;
}

/** Sends one request over a real socket to 127.0.0.1 and reads the whole response. */
export function send(options: SendOptions): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port: options.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
        agent: options.agent ?? false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            rawHeaders: response.rawHeaders,
            body,
            text,
            json: <T>() => JSON.parse(text) as T,
          });
        });
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

/** One request of a load loop: when it started, how long it took, how it ended (status, error code or 'hung'). */
export interface Sample {
  readonly at: number;
  readonly ms: number;
  readonly status: number | string;
}

/** Sends `options` and gives its status, the socket error code, or 'hung' when no answer came within `hangMs`. */
export async function statusWithin(options: SendOptions, hangMs: number): Promise<number | string> {
  const answered = send(options).then(
    (response) => response.status,
    (error: NodeJS.ErrnoException) => error.code ?? 'error',
  );
  const outcome = await withTimeout(answered, hangMs);
  return outcome === TIMED_OUT ? 'hung' : outcome;
}

/** A load running in the background: what it has seen so far, and how to stop it. */
export interface RunningLoad {
  readonly samples: readonly Sample[];
  /** Stops sending and resolves with every sample once the requests under way have ended. */
  stop(): Promise<readonly Sample[]>;
}

/**
 * Sends `options` again and again from `workers` loops over one keep-alive agent, each request
 * bounded by `hangMs`, until `stop()` or, at the latest, `maxMs` after the start.
 */
export function startLoad(
  options: SendOptions,
  limits: { workers: number; hangMs: number; maxMs: number },
): RunningLoad {
  const agent = new http.Agent({ keepAlive: true, maxSockets: limits.workers });
  const samples: Sample[] = [];
  const started = Date.now();
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (!stopped && Date.now() - started < limits.maxMs) {
      const at = Date.now();
      const status = await statusWithin({ ...options, agent }, limits.hangMs);
      samples.push({ at, ms: Date.now() - at, status });
    }
  };
  const done = Promise.all(Array.from({ length: limits.workers }, worker));
  return {
    samples,
    async stop() {
      stopped = true;
      await done;
      agent.destroy();
      return samples;
    },
  };
}
