import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { findWrk } from '../../bench/load.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** A short run of every step: S1 and S2 on both targets for 1 s each, then 16 MiB through the gateway. */
const SHORT_RUN = ['--duration', '1', '--rounds', '1', '--big-mb', '16', '--warmup', '0'];
const RUN_TIMEOUT_MS = 90_000;

interface BenchRun {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | string>;
}

/** Starts `bench/run.ts` as `npm run bench` does (the build comes from `npm test`); killed after 90 s. */
function startBench(args: readonly string[]): BenchRun {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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
function tableCell(output: string, target: string, scenario: string, column: string): string {
  const lines = output.split('\n');
  const header = lines.find((line) => line.startsWith('target '));
  const row = lines.find((line) => line.startsWith(`${target} `) && line.includes(` ${scenario} `));
  if (header === undefined || row === undefined) throw new Error(`no table row for ${target} ${scenario} in:\n${output}`);
  const cells = row.trim().split(/\s{2,}/);
  return cells[header.trim().split(/\s{2,}/).indexOf(column)] ?? '';
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
function childrenOf(pid: number): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).filter((candidate) => parentOf(candidate) === pid);
}

const isRunning = (pid: number): boolean => parentOf(pid) !== undefined;

describe('npm run bench (bench/run.ts), short real runs', function () {
  this.timeout(RUN_TIMEOUT_MS + 30_000);
  const started: ChildProcess[] = [];

  afterEach(() => {
    for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  // Without wrk the default run already uses autocannon.
  const loads = findWrk() === undefined ? [[]] : [[], ['--load', 'autocannon']];
  for (const load of loads) {
    const generator = load.length > 0 ? ' with autocannon' : '';
    it(`when run for 1 s a step${generator}, then it exits 0 and prints the gateway's ratio to direct for S1 and S2`, async () => {
      const bench = startBench([...SHORT_RUN, ...load]);
      started.push(bench.child);
      expect(await bench.exited, bench.output()).to.equal(0);
      for (const scenario of ['S1', 'S2']) {
        const ratio = Number(tableCell(bench.output(), 'gateway', scenario, 'x direct'));
        expect(ratio, `${scenario} ratio`).to.be.greaterThan(0);
        expect(Number(tableCell(bench.output(), 'direct', scenario, 'x direct'))).to.equal(1);
      }
      expect(Number(tableCell(bench.output(), 'gateway', 'S3', 'peak RSS MiB'))).to.be.greaterThan(0);
    });
  }

  it('when interrupted during a load step, then it exits 130 and none of the processes it started keeps running', async () => {
    const bench = startBench(['--duration', '5', '--rounds', '1', '--big-mb', '16', '--warmup', '0']);
    started.push(bench.child);
    const deadline = Date.now() + 60_000;
    while (!bench.output().includes('round 1/1') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const spawned = childrenOf(bench.child.pid!);
    expect(spawned.length, `children of the bench: ${bench.output()}`).to.be.at.least(2);
    bench.child.kill('SIGINT');
    expect(await bench.exited).to.equal(130);
    const gone = Date.now() + 5000;
    while (spawned.some(isRunning) && Date.now() < gone) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(spawned.filter(isRunning)).to.deep.equal([]);
  });
});
