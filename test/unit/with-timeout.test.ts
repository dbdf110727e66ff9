import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { TIMED_OUT, withTimeout } from '../../src/with-timeout.js';

const MODULE = fileURLToPath(new URL('../../src/with-timeout.ts', import.meta.url));

/** Runs `body` in a fresh Node process with `withTimeout` in scope; returns how long the process lived. */
function lifetimeMs(body: string): number {
  const script = `const { withTimeout } = await import(${JSON.stringify(MODULE)}); ${body}`;
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    timeout: 20_000,
  });
  expect(result.status, result.stderr.toString()).to.equal(0);
  return Date.now() - started;
}

describe('withTimeout', function () {
  this.timeout(30_000);

  it('when the promise settles first, then its value comes back', async () => {
    expect(await withTimeout(Promise.resolve('done'), 60_000)).to.equal('done');
  });

  it('when time runs out first, then TIMED_OUT comes back', async () => {
    expect(await withTimeout(new Promise(() => undefined), 10)).to.equal(TIMED_OUT);
  });

  it('when the promise rejects first, then the rejection comes back', async () => {
    const outcome = await withTimeout(Promise.reject(new Error('boom')), 60_000).then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    expect(outcome).to.equal('boom');
  });

  it('regression: a race won early left its 15 s timer running and kept the process alive; now the process exits at once', () => {
    const baseline = lifetimeMs('');
    expect(
      lifetimeMs(
        'await withTimeout(Promise.resolve(1), 15_000); await withTimeout(Promise.reject(new Error("x")), 15_000).catch(() => 0);',
      ),
    ).to.be.below(baseline + 5000);
  });
});
