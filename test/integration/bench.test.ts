import { expect } from 'chai';
import { RUN_TIMEOUT_MS, SHORT_RUN, startBench, tableCell } from '../helpers/bench.js';

// The bench tool's own tests (both load generators, interruption, report arithmetic) run with
// `npm run test:bench`; this one short run keeps `npm test` honest about the bench still working.
describe('npm run bench (bench/run.ts), smoke run', function () {
  this.timeout(RUN_TIMEOUT_MS + 30_000);

  it('when run for 1 s a step, then it exits 0 and prints the gateway\'s ratio to direct for S1 and S2', async () => {
    const bench = startBench(SHORT_RUN);
    try {
      expect(await bench.exited, bench.output()).to.equal(0);
    } finally {
      if (bench.child.exitCode === null && bench.child.signalCode === null) bench.child.kill('SIGKILL');
    }
    for (const scenario of ['S1', 'S2']) {
      expect(Number(tableCell(bench.output(), 'gateway', scenario, 'x direct')), `${scenario} ratio`).to.be.greaterThan(0);
      expect(Number(tableCell(bench.output(), 'direct', scenario, 'x direct'))).to.equal(1);
    }
    expect(Number(tableCell(bench.output(), 'gateway', 'S3', 'peak RSS MiB'))).to.be.greaterThan(0);
  });
});
