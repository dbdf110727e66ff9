import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** A short run of every step: S1 and S2 on both targets for 1 s each, then 16 MiB through the gateway. */
export const SHORT_RUN = ['--duration', '1', '--rounds', '1', '--big-mb', '16', '--warmup', '0'];
/** A bench run still going after this is killed. */
export const RUN_TIMEOUT_MS = 90_000;

/** A bench process started by a test. */
export interface BenchRun {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | string>;
}

/** Starts `bench/run.ts` as `npm run bench` does (the build comes from `npm test`); killed after 90 s. */
export function startBench(args: readonly string[]): BenchRun {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString('utf8')));
  child.stderr.on('data', (data: Buffer) => (output += data.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGTERM'), RUN_TIMEOUT_MS);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal ?? -1);
    });
  });
  return { child, output: () => output, exited };
}

/** The cell of `column` in the table row of `target` and `scenario` (columns are two spaces apart). */
export function tableCell(output: string, target: string, scenario: string, column: string): string {
  const lines = output.split('\n');
  const header = lines.find((line) => line.startsWith('target '));
  const row = lines.find((line) => line.startsWith(`${target} `) && line.includes(` ${scenario} `));
  if (header === undefined || row === undefined)
    throw new Error(`no table row for ${target} ${scenario} in:\n${output}`);
  const cells = row.trim().split(/\s{2,}/);
  return (
    cells[
      header
        .trim()
        .split(/\s{2,}/)
        .indexOf(column)
    ] ?? ''
  );
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : Number(fields[1]);
  } catch {
    return undefined;
  }
}

/** Live (not zombie) processes whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((candidate) => parentOf(candidate) === pid);
}

export const isRunning = (pid: number): boolean => parentOf(pid) !== undefined;
