import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { execForm, readDockerfile } from '../helpers/dockerfile.js';
import { killSpawnedGateways, spawnGateway } from '../helpers/process.js';
import { closedPort } from '../helpers/upstream.js';

const PROBE_TIMEOUT_MS = 10_000;

/** Runs a healthcheck's `node …` command with this machine's node and `env`; resolves with its exit code. */
function runProbe(command: readonly string[], env: Record<string, string> = {}): Promise<number | null> {
  expect(command[0]).to.equal('node');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, command.slice(1), { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`probe still running after ${PROBE_TIMEOUT_MS} ms`));
    }, PROBE_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('healthcheck commands, run with node as the containers run them', function () {
  this.timeout(30_000);

  afterEach(async () => {
    await killSpawnedGateways();
  });

  it('when the image\'s HEALTHCHECK runs against a serving gateway, then it exits 0; with nothing listening on PORT, then 1', async () => {
    const command = execForm(readDockerfile().find((step) => step.keyword === 'HEALTHCHECK')!.args);
    const gateway = await spawnGateway({});
    expect(await runProbe(command, { PORT: String(gateway.port) })).to.equal(0);
    expect(await runProbe(command, { PORT: String(await closedPort()) })).to.equal(1);
  });
});
