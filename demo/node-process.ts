import { spawn, type ChildProcess } from 'node:child_process';
import { TIMED_OUT, withTimeout } from '../src/with-timeout.js';

/** How a child process ended. */
export interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Options of {@link spawnNode}. */
export interface SpawnNodeOptions {
  /** The child's whole environment: nothing of this process's is added. */
  readonly env: NodeJS.ProcessEnv;
  /** `inherit`: the child writes to this process's stdout and stderr; `capture`: both are kept here. */
  readonly output: 'inherit' | 'capture';
}

/** A Node.js script running as a child process. */
export interface NodeProcess {
  readonly child: ChildProcess;
  /** Resolves once the child has exited. */
  readonly exited: Promise<Ended>;
  /** Captured stdout so far ('' when inherited). */
  stdout(): string;
  /** Captured stderr so far ('' when inherited). */
  readonly stderr: () => string;
  /** Calls `listener` with every complete stdout line from now on (captured output only). */
  onLine(listener: (line: string) => void): void;
  /**
   * The first stdout line (seen before or after the call) that contains `match` or for which it holds; rejects if the
   * child exits first or after `timeoutMs`.
   */
  waitForLine(match: string | ((line: string) => boolean), timeoutMs: number): Promise<string>;
  /** How the child ended; rejects after `timeoutMs`, leaving it running. */
  waitForExit(timeoutMs: number): Promise<Ended>;
  /** Sends `signal` if the child still runs, waits up to `timeoutMs` for the exit, then SIGKILLs it. */
  stop(signal: NodeJS.Signals, timeoutMs: number): Promise<Ended>;
}

/** The exit code, or the name of the signal that ended the process. */
export function exitStatus(ended: Ended): number | string {
  return ended.code ?? ended.signal ?? -1;
}

/** `promise`, or a rejection with `message` after `timeoutMs`; the timer is cleared either way. */
async function settleWithin<T>(promise: Promise<T>, timeoutMs: number, message: () => string): Promise<T> {
  const outcome = await withTimeout(promise, timeoutMs);
  if (outcome === TIMED_OUT) throw new Error(message());
  return outcome;
}

/**
 * Runs `node entry ...args` with this process's Node binary (the one under test) and exactly
 * `options.env`. The demo launcher starts the gateway with it, and the tests the gateway, the demo
 * and the stubs: no pipe through npm, so a signal sent to `child` reaches the script itself.
 */
export function spawnNode(entry: string, args: readonly string[], options: SpawnNodeOptions): NodeProcess {
  const capture = options.output === 'capture';
  const child = spawn(process.execPath, [entry, ...args], {
    env: options.env,
    stdio: ['ignore', capture ? 'pipe' : 'inherit', capture ? 'pipe' : 'inherit'],
  });
  const exited = new Promise<Ended>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let ended: Ended | undefined;
  void exited.then((end) => (ended = end));

  let stdout = '';
  let stderr = '';
  let pending = '';
  const lines: string[] = [];
  const listeners: Array<(line: string) => void> = [];
  child.stderr?.on('data', (data: Buffer) => (stderr += data.toString('utf8')));
  child.stdout?.on('data', (data: Buffer) => {
    const text = data.toString('utf8');
    stdout += text;
    pending += text;
    for (let newline = pending.indexOf('\n'); newline !== -1; newline = pending.indexOf('\n')) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      lines.push(line);
      for (const listener of listeners) listener(line);
    }
  });

  const started: NodeProcess = {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    onLine(listener) {
      listeners.push(listener);
    },
    waitForLine(match, timeoutMs) {
      const matches = typeof match === 'string' ? (line: string) => line.includes(match) : match;
      const seen = lines.find(matches);
      if (seen !== undefined) return Promise.resolve(seen);
      const found = new Promise<string>((resolve, reject) => {
        listeners.push((line) => {
          if (matches(line)) resolve(line);
        });
        void exited.then((end) =>
          reject(
            new Error(
              `exited (${exitStatus(end)}) before printing the line awaited; stdout: ${stdout}; stderr: ${stderr}`,
            ),
          ),
        );
      });
      return settleWithin(
        found,
        timeoutMs,
        () => `the line awaited was not printed within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`,
      );
    },
    waitForExit(timeoutMs) {
      return settleWithin(
        exited,
        timeoutMs,
        () => `still running after ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`,
      );
    },
    async stop(signal, timeoutMs) {
      if (ended !== undefined) return ended;
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      try {
        return await started.waitForExit(timeoutMs);
      } catch {
        child.kill('SIGKILL');
        return exited;
      }
    },
  };
  return started;
}
