import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import autocannon from 'autocannon';
import type { BenchRequest } from './http.js';
import { runCommand } from './processes.js';

/** One load step on keep-alive connections, as the load generator reported it. */
export interface LoadResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** Answers outside 2xx (wrk: outside 2xx and 3xx). */
  readonly non2xx: number;
  /** Connect, read, write errors and timeouts. */
  readonly socketErrors: number;
}

/** A load generator: keeps `connections` busy with one request for `seconds`. */
export interface LoadGenerator {
  /** Name and version, for the report. */
  readonly label: string;
  run(request: BenchRequest, seconds: number): Promise<LoadResult>;
}

/** A request that takes longer than this counts as a timeout. */
const REQUEST_TIMEOUT_S = 5;
/** A load step may overrun its duration by this much (start-up, last responses) before it is killed. */
const OVERRUN_MS = 20_000;

/** The first line of `wrk -v` (which exits 1), or undefined when wrk is not on PATH. */
export function findWrk(): string | undefined {
  const probe = spawnSync('wrk', ['-v'], { encoding: 'utf8', timeout: 5000 });
  if (probe.error !== undefined) return undefined;
  return `${probe.stdout}${probe.stderr}`.split('\n')[0]?.split(' [')[0]?.trim() || 'wrk';
}

/**
 * `value` as a Lua long string, with a bracket level that the value does not close. Level ≥ 1 and
 * spaces around an index: `t[[[x]]]` would read as a call, `t[ [=[x]=] ]` cannot.
 */
function luaString(value: string): string {
  let level = '=';
  while (value.includes(`]${level}]`)) level += '=';
  return `[${level}[${value}]${level}]`;
}

/** wrk's latency figures (`812.00us`, `1.23ms`, `1.02s`, `1.5m`) in milliseconds. */
function wrkMilliseconds(value: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(value);
  if (match === null) throw new Error(`unexpected wrk latency "${value}"`);
  const scale = { us: 1e-3, ms: 1, s: 1e3, m: 6e4 }[match[2] as 'us' | 'ms' | 's' | 'm'];
  return Number(match[1]) * scale;
}

/** Reads wrk's `--latency` report. */
export function parseWrkOutput(output: string): LoadResult {
  const number = (pattern: RegExp): number => Number(pattern.exec(output)?.[1] ?? 0);
  const percentile = (name: string): number => {
    const match = new RegExp(`^\\s+${name}%\\s+(\\S+)`, 'm').exec(output);
    if (match === null) throw new Error(`wrk printed no ${name}th percentile:\n${output}`);
    return wrkMilliseconds(match[1]!);
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    rps: number(/Requests\/sec:\s+([\d.]+)/),
    p50Ms: percentile('50'),
    p99Ms: percentile('99'),
    requests: number(/(\d+) requests in/),
    non2xx: number(/Non-2xx or 3xx responses: (\d+)/),
    socketErrors: socket === null ? 0 : socket.slice(1).reduce((sum, count) => sum + Number(count), 0),
  };
}

/** wrk with one thread; method, headers and body come from a generated Lua script per request. */
export function createWrk(options: { label: string; connections: number; scriptDir: string }): LoadGenerator {
  const scripts = new Map<BenchRequest, string>();
  function scriptFor(request: BenchRequest): string {
    let file = scripts.get(request);
    if (file === undefined) {
      file = path.join(options.scriptDir, `request-${scripts.size + 1}.lua`);
      const lines = [`wrk.method = "${request.method}"`];
      for (const [name, value] of Object.entries(request.headers))
        lines.push(`wrk.headers[ ${luaString(name)} ] = ${luaString(value)}`);
      if (request.body !== undefined) lines.push(`wrk.body = ${luaString(request.body)}`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      scripts.set(request, file);
    }
    return file;
  }
  return {
    label: `${options.label}, 1 thread, ${options.connections} connections`,
    async run(request, seconds) {
      const args = [
        '-t1',
        `-c${options.connections}`,
        `-d${seconds}s`,
        '--latency',
        '--timeout',
        `${REQUEST_TIMEOUT_S}s`,
      ];
      args.push('-s', scriptFor(request), request.url);
      const { stdout } = await runCommand('wrk', args, seconds * 1000 + OVERRUN_MS);
      return parseWrkOutput(stdout);
    },
  };
}

/** autocannon, in this process: the standard Node HTTP load generator, for machines without wrk. */
export function createAutocannon(options: { connections: number }): LoadGenerator {
  const { version } = createRequire(import.meta.url)('autocannon/package.json') as { version: string };
  return {
    label: `autocannon ${version}, ${options.connections} connections`,
    run(request, seconds) {
      return new Promise((resolve, reject) => {
        const instance = autocannon(
          {
            url: request.url,
            method: request.method,
            headers: request.headers,
            body: request.body,
            connections: options.connections,
            duration: seconds,
            timeout: REQUEST_TIMEOUT_S,
          },
          (error: unknown, result) => {
            clearTimeout(timer);
            if (error !== null && error !== undefined)
              return reject(error instanceof Error ? error : new Error(`autocannon failed: ${JSON.stringify(error)}`));
            resolve({
              rps: result.requests.total / result.duration,
              p50Ms: result.latency.p50,
              p99Ms: result.latency.p99,
              requests: result.requests.total,
              non2xx: result.non2xx,
              socketErrors: result.errors,
            });
          },
        );
        // Read by the callback above only once autocannon is done, after this line has run.
        const timer = setTimeout(() => instance.stop(), seconds * 1000 + OVERRUN_MS);
      });
    },
  };
}
