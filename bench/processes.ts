import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** Every process the bench started and has not seen exit: each leads its own process group. */
const running = new Set<ChildProcess>();

/** How a process the bench starts is run. */
export interface StartOptions {
  readonly cwd?: string;
  readonly env: Readonly<Record<string, string>>;
  readonly stdio: StdioOptions;
}

/**
 * Starts `command` in a process group of its own, so that stopping it reaches whatever it spawns and
 * a Ctrl-C in the terminal reaches only the bench, which then stops everything it started.
 */
export function startProcess(command: string, args: readonly string[], options: StartOptions): ChildProcess {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: options.stdio, detached: true });
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
  return child;
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // The group is already gone.
  }
}

/** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once the process has exited. */
export async function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  for (const [signal, waitMs] of [
    ['SIGTERM', graceMs],
    ['SIGKILL', 2000],
  ] as const) {
    if (hasExited(child)) break;
    signalGroup(child, signal);
    for (let waited = 0; waited < waitMs && !hasExited(child); waited += 25) await sleep(25);
  }
  signalGroup(child, 'SIGKILL');
  running.delete(child);
  if (!hasExited(child)) throw new Error(`process ${child.pid} did not exit after SIGKILL`);
}

/** Stops every process still running, politely first (end of run or failure). */
export async function stopAll(): Promise<void> {
  await Promise.allSettled([...running].map((child) => stopProcess(child)));
}

/** SIGKILLs every process group still running, synchronously: for `exit` and signal handlers. */
export function killAllNow(): void {
  for (const child of running) signalGroup(child, 'SIGKILL');
  running.clear();
}

/** What a bounded command printed. */
export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` to completion, killed after `timeoutMs`; rejects on a non-zero exit or the timeout. */
export function runCommand(command: string, args: readonly string[], timeoutMs: number): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    const child = startProcess(command, args, {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (data: Buffer) => (stdout += data.toString('utf8')));
    child.stderr!.on('data', (data: Buffer) => (stderr += data.toString('utf8')));
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve({ stdout, stderr });
      const reason = signal === 'SIGKILL' ? `killed after ${timeoutMs} ms` : `exit ${code ?? signal}`;
      reject(new Error(`${command} ${args.join(' ')} failed (${reason}): ${stderr.trim()}`));
    });
  });
}
