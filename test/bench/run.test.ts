import type { ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { findWrk } from '../../bench/load.js';
import { RUN_TIMEOUT_MS, SHORT_RUN, childrenOf, isRunning, startBench, tableCell } from '../helpers/bench.js';

describe('npm run bench (bench/run.ts), short real runs with each load generator and an interruption', function () {
  this.timeout(RUN_TIMEOUT_MS + 30_000);
  const started: ChildProcess[] = [];

  afterEach(() => {
    for (const child of started.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
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
    while (!bench.output().includes('round 1/1') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const spawned = childrenOf(bench.child.pid!);
    expect(spawned.length, `children of the bench: ${bench.output()}`).to.be.at.least(2);
    bench.child.kill('SIGINT');
    expect(await bench.exited).to.equal(130);
    const gone = Date.now() + 5000;
    while (spawned.some(isRunning) && Date.now() < gone) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(spawned.filter(isRunning)).to.deep.equal([]);
  });
});
