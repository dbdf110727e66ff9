import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The compiled entry point that `npm start` runs (`npm test` builds it first). */
export const GATEWAY_ENTRY = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url));

/** A gateway process started from the build, as production runs it. */
export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** Every stdout line, parsed as JSON when it is JSON. */
  readonly logs: Array<Record<string, unknown>>;
  readonly stderr: () => string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  stop(): Promise<number | string>;
}

const running = new Set<ChildProcess>();

/** Kills every gateway process a test started and did not stop (call from `afterEach`). */
export async function killSpawnedGateways(): Promise<void> {
  const exits = [...running].map((child) => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
    child.once('exit', resolve);
    child.kill('SIGKILL');
  }));
  running.clear();
  await Promise.all(exits);
}

/** Starts `node dist/src/index.js` with `env` on an ephemeral port and waits until it listens. */
export async function spawnGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [GATEWAY_ENTRY], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', REQUIRE_AUTH: 'false', METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? -1);
    });
  });
  child.stderr!.on('data', (data: Buffer) => {
    stderr += data.toString('utf8');
  });
  const port = await new Promise<number>((resolve, reject) => {
    let pending = '';
    child.stdout!.on('data', (data: Buffer) => {
      pending += data.toString('utf8');
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          const address = entry.address as { port?: number } | undefined;
          if (entry.msg === 'gateway listening' && address?.port !== undefined) resolve(address.port);
        } catch {
          logs.push({ text: line });
        }
      }
    });
    void exited.then((code) => reject(new Error(`gateway exited (${code}) before listening: ${stderr}`)));
  });
  return {
    child,
    port,
    logs,
    stderr: () => stderr,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}

/** Runs the built gateway with `env` and returns how it ended, for configurations that must not start. */
export function runGateway(env: Record<string, string>, timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [GATEWAY_ENTRY], {
      env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', METRICS_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString('utf8')));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway still running after ${timeoutMs} ms: ${stdout}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Resets the peak resident set size of `pid` (Linux `clear_refs`), so VmHWM measures from now. */
export function resetPeakMemory(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** A `/proc/PID/status` field in MiB, e.g. `VmHWM` (peak resident) or `VmRSS`. */
export function memoryMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no ${field} for ${pid}`);
  return Number(match[1]) / 1024;
}
