// Measures the built gateway (whole onion: token, limiter, CORS, helmet, logs) against the upstream
// it fronts, hit directly, in one run: S1 small GET and S2 1 KiB JSON POST, interleaved
// direct/gateway in every round; S3 one big download through the gateway with its peak RSS.
// Loopback only; every step is bounded in time; every process started here is stopped on exit.
// Usage: npm run bench -- --help
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { download } from './http.js';
import { createAutocannon, createWrk, findWrk, type LoadGenerator } from './load.js';
import { measurePeakMemory } from './memory.js';
import { parseOptions, USAGE, type Options } from './options.js';
import { killAllNow, stopAll, stopProcess } from './processes.js';
import { chooseRedis, countRedisKeys } from './redis.js';
import {
  formatTable,
  summarize,
  type Measurement,
  type ScenarioId,
  type StreamResult,
  type TargetName,
} from './report.js';
import { startGateway, startUpstream, type Target } from './targets.js';
import { signAccessToken } from './token.js';
import { verifyTarget, type TargetRequests } from './verify.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MiB = 1024 * 1024;
/** Not valid Base64, so the gateway uses its UTF-8 bytes as the HS256 key; long enough for production. */
const JWT_SECRET = 'bench-secret-that-is-long-enough-for-production!';
const JWT_ISSUER = 'http://localhost:4001';
const CORS_ORIGIN = 'http://localhost:3000';
const SCENARIOS: Readonly<Record<ScenarioId, string>> = { S1: 'GET product', S2: 'POST 1 KiB JSON' };
const TARGETS = ['direct', 'gateway'] as const;

function chooseLoadGenerator(options: Options, scriptDir: string): LoadGenerator {
  const wrk = options.load === 'autocannon' ? undefined : findWrk();
  if (wrk !== undefined) return createWrk({ label: wrk, connections: options.connections, scriptDir });
  if (options.load === 'wrk') throw new Error('--load wrk: wrk is not on PATH');
  return createAutocannon({ connections: options.connections });
}

/** The last commit that changed the gateway (src/, config/), marked when the work tree differs from it. */
function gatewayCommit(): string {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', timeout: 5000 }).trim();
  try {
    const modified = git('status', '--porcelain', '--', 'src', 'config') !== '';
    return `${git('log', '-1', '--format=%h', '--', 'src', 'config')}${modified ? ' (modified)' : ''}`;
  } catch {
    return 'unknown';
  }
}

/** The 1-minute load average: other work on the machine skews every number, so the report shows it. */
const loadAverage = (): string => os.loadavg()[0]!.toFixed(2);

/** A 1 KiB JSON document for S2. */
function postBody(): string {
  const base = {
    name: 'Bench product',
    price: 19.99,
    currency: 'EUR',
    category: 'books',
    tags: ['bench'],
    description: '',
  };
  return JSON.stringify({ ...base, description: 'x'.repeat(1024 - JSON.stringify(base).length) });
}

/** Every request carries the bearer token and an allowed Origin, so JWT and CORS run on the gateway. */
function requestsFor(target: Target, token: string, bigMiB: number): TargetRequests {
  const headers = { Authorization: `Bearer ${token}`, Origin: CORS_ORIGIN };
  return {
    get: { method: 'GET', url: `${target.productsUrl}/123`, headers },
    post: {
      method: 'POST',
      url: target.productsUrl,
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: postBody(),
    },
    big: { method: 'GET', url: `${target.productsUrl}/big/${bigMiB}`, headers },
  };
}

/** S1 and S2 of every round, direct then gateway back to back, so both see the same machine. */
async function measureRounds(
  options: Options,
  load: LoadGenerator,
  targets: Readonly<Record<TargetName, { process: Target; requests: TargetRequests }>>,
): Promise<Measurement[]> {
  const measurements: Measurement[] = [];
  for (let round = 1; round <= options.rounds; round += 1) {
    for (const scenario of ['S1', 'S2'] as const) {
      for (const target of TARGETS) {
        const { requests, process: measured } = targets[target];
        const step = () => load.run(scenario === 'S1' ? requests.get : requests.post, options.duration);
        const { result, memory } = await measurePeakMemory(measured.pid, step);
        if (target === 'direct' && result.non2xx > 0) {
          throw new Error(
            `${scenario} direct: ${result.non2xx} non-2xx answers from the upstream: the bench's requests are wrong`,
          );
        }
        measurements.push({
          round,
          target,
          scenario,
          load: result,
          peakRssMiB: target === 'gateway' ? memory.peakMiB : undefined,
        });
        console.log(
          `round ${round}/${options.rounds}  ${scenario} ${target.padEnd(7)}  ${result.rps.toFixed(0).padStart(6)} req/s` +
            `  p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms  errors ${result.non2xx + result.socketErrors}`,
        );
      }
    }
  }
  return measurements;
}

/** S3: one download of `mib` MiB through the gateway, with the gateway's peak RSS meanwhile. */
async function streamThrough(
  gateway: { process: Target; requests: TargetRequests },
  mib: number,
): Promise<StreamResult> {
  const { big } = gateway.requests;
  const { result, memory } = await measurePeakMemory(gateway.process.pid, () => download(big, 30_000 + mib * 200));
  if (result.status !== 200 || result.bytes !== mib * MiB) {
    throw new Error(`S3: GET ${big.url}: HTTP ${result.status}, ${result.bytes} of ${mib * MiB} bytes`);
  }
  return { mib, seconds: result.seconds, startRssMiB: memory.startMiB, peakRssMiB: memory.peakMiB };
}

async function main(options: Options, workDir: string): Promise<void> {
  const load = chooseLoadGenerator(options, workDir);
  const redis = await chooseRedis(process.env);
  const commit = gatewayCommit();
  const machine = {
    node: process.version,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
  };
  const loadBefore = loadAverage();
  console.log(`gateway ${commit}; node ${machine.node}; ${machine.cpus} CPUs (${machine.cpuModel})`);
  console.log(
    `load: ${load.label}; ${options.duration} s per step after ${options.warmup} s warm-up; ${options.rounds} rounds`,
  );
  console.log(
    `rate limiter: ${redis === undefined ? 'in memory (no Redis answers)' : `Redis ${redis.url}, prefix ${redis.prefix}`}`,
  );

  const upstream = await startUpstream({ root: ROOT, stderrFile: path.join(workDir, 'upstream.stderr.log') });
  const gateway = await startGateway({
    root: ROOT,
    upstreamUrl: new URL(upstream.productsUrl).origin,
    jwtSecret: JWT_SECRET,
    jwtIssuer: JWT_ISSUER,
    corsOrigin: CORS_ORIGIN,
    redis,
    logFile: options.log,
    stderrFile: path.join(workDir, 'gateway.stderr.log'),
  });
  const token = signAccessToken({ secret: JWT_SECRET, issuer: JWT_ISSUER });
  const targets = {
    direct: { process: upstream, requests: requestsFor(upstream, token, options.bigMiB) },
    gateway: { process: gateway, requests: requestsFor(gateway, token, options.bigMiB) },
  };

  for (const target of TARGETS) await verifyTarget(target, targets[target].requests);
  for (const target of options.warmup > 0 ? TARGETS : []) {
    for (const request of [targets[target].requests.get, targets[target].requests.post])
      await load.run(request, options.warmup);
  }
  if (redis !== undefined && (await countRedisKeys(redis.url, `${redis.prefix}*`)) === 0) {
    throw new Error(`the gateway wrote nothing under ${redis.prefix} in Redis: its limiter did not use Redis`);
  }

  const measurements = await measureRounds(options, load, targets);
  const stream = await streamThrough(targets.gateway, options.bigMiB);
  await stopProcess(gateway.child);
  await stopProcess(upstream.child);

  const summary = summarize(measurements, SCENARIOS, stream);
  console.log(`\n${formatTable(summary)}\n`);
  console.log(
    `S3: ${stream.mib} MiB through the gateway in ${stream.seconds.toFixed(2)} s (${(stream.mib / stream.seconds).toFixed(0)} MiB/s);` +
      ` gateway RSS ${stream.startRssMiB.toFixed(1)} MiB before, ${stream.peakRssMiB.toFixed(1)} MiB peak`,
  );
  console.log('req/s, p50, p99: medians of the rounds; x direct: median of gateway/direct req/s per round;');
  console.log('peak RSS: the gateway process (VmHWM); errors: non-2xx answers and socket errors, all rounds.');
  const loadAfter = loadAverage();
  console.log(
    `load average (1 min): ${loadBefore} before the run, ${loadAfter} at its end (the bench's own processes included)`,
  );
  if (options.out !== undefined) {
    const settings = { ...options, load: load.label, limiter: redis === undefined ? 'memory' : 'redis' };
    const loadAverages = { before: Number(loadBefore), after: Number(loadAfter) };
    const report = {
      date: new Date().toISOString(),
      gateway: { commit },
      machine: { ...machine, loadAverages },
      settings,
      summary,
      stream,
      measurements,
    };
    writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`wrote ${options.out}`);
  }
}

let options: Options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  console.error(`bench: ${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}

const workDir = mkdtempSync(path.join(os.tmpdir(), 'gateway-bench-'));
process.on('exit', killAllNow);
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.on(signal, () => {
    killAllNow();
    rmSync(workDir, { recursive: true, force: true });
    console.error(`bench: ${signal}, stopped every process it started`);
    process.exit(code);
  });
}
try {
  await main(options, workDir);
  rmSync(workDir, { recursive: true, force: true });
} catch (error) {
  console.error(`bench failed: ${(error as Error).message}`);
  await stopAll();
  // The logs of the processes that failed are worth keeping; an empty folder is not.
  if (readdirSync(workDir).length === 0) rmSync(workDir, { recursive: true, force: true });
  else console.error(`logs kept in ${workDir}`);
  process.exit(1);
}
