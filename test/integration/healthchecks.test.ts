import { spawn } from 'node:child_process';
import { expect } from 'chai';
import type { ServiceId } from '../../demo/services.js';
import { closeStubs, startStub } from '../../demo/stubs.js';
import { readCompose } from '../helpers/compose.js';
import { execForm, readDockerfile } from '../helpers/dockerfile.js';
import { killSpawnedGateways, spawnGateway } from '../helpers/process.js';
import { closedPort } from '../helpers/upstream.js';

const PROBE_TIMEOUT_MS = 10_000;

/** Runs a healthcheck's `node …` command with this machine's node and `env`; resolves with its exit code. */
function runProbe(command: readonly string[], env: Record<string, string> = {}): Promise<number | null> {
  expect(command[0]).to.equal('node');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, command.slice(1), {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: 'ignore',
    });
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

/** A compose healthcheck command (`CMD node -e … URL`) with its URL moved to `port`. */
function atPort(test: readonly string[], port: number): string[] {
  const url = new URL(test.at(-1)!);
  url.port = String(port);
  return [...test.slice(1, -1), url.href];
}

describe('healthcheck commands, run with node as the containers run them', function () {
  this.timeout(30_000);

  afterEach(async () => {
    await killSpawnedGateways();
  });

  it("when the image's HEALTHCHECK runs against a serving gateway, then it exits 0; with nothing listening on PORT, then 1", async () => {
    const command = execForm(readDockerfile().find((step) => step.keyword === 'HEALTHCHECK')!.args);
    const gateway = await spawnGateway({});
    expect(await runProbe(command, { PORT: String(gateway.port) })).to.equal(0);
    expect(await runProbe(command, { PORT: String(await closedPort()) })).to.equal(1);
  });

  it("when a compose stub's healthcheck runs against that stub, then it exits 0; against a port that answers 404 there, then 1", async () => {
    const { services } = readCompose();
    const stubs = Object.values(services).filter((service) =>
      service.command?.includes('dist-demo/demo/stub-services.js'),
    );
    expect(stubs).to.have.length(4);
    const jwt = { secret: 'probe-test-secret', encoding: 'utf8' as const, issuer: undefined };
    for (const service of stubs) {
      const id = service.command!.at(-1) as ServiceId;
      const [own, other] = await Promise.all([
        startStub(id, { host: '127.0.0.1', port: 0, jwt }),
        startStub(id === 'inventory' ? 'products' : 'inventory', { host: '127.0.0.1', port: 0, jwt }),
      ]);
      try {
        const test = service.healthcheck!.test!;
        expect(await runProbe(atPort(test, own.port)), id).to.equal(0);
        expect(await runProbe(atPort(test, other.port)), `${id} probe against another stub`).to.equal(1);
      } finally {
        await closeStubs([own, other]);
      }
    }
  });
});
