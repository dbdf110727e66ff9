import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { expect } from 'chai';
import { readRepoFile } from '../helpers/dockerfile.js';
import { allServicesAt } from '../helpers/gateway.js';
import { send } from '../helpers/http.js';
import { hasNginx, renderForLoopback, startNginx, type RunningNginx } from '../helpers/nginx.js';
import { killSpawnedGateways, spawnGateway, type GatewayProcess } from '../helpers/process.js';
import { printSummary } from '../helpers/summary.js';
import { accessClaims, signHmac, TEST_ISSUER } from '../helpers/tokens.js';
import { closedPort, startUpstream, type TestUpstream } from '../helpers/upstream.js';

/** A secret as the shop's auth service holds it: Base64 of 48 random bytes (it signs HS384 with the decoded bytes). */
function newSecret(): { secret: string; key: Buffer } {
  const key = randomBytes(48);
  return { secret: key.toString('base64'), key };
}

describe('rotating the JWT secret under load (three built gateways behind deploy/nginx.conf)', function () {
  this.timeout(120_000);
  let upstream: TestUpstream;
  let nginx: RunningNginx | undefined;

  before(async () => {
    expect(hasNginx(), 'nginx on PATH (.ci/run installs it)').to.equal(true);
    upstream = await startUpstream();
  });

  after(async () => {
    await nginx?.stop();
    await killSpawnedGateways();
    await upstream.close();
  });

  it('when the replicas roll to the new key with the old one as JWT_SECRET_PREVIOUS, clients switch, and the replicas roll again without it, then not one request fails', async () => {
    const old = newSecret();
    const next = newSecret();
    const ports = [await closedPort(), await closedPort(), await closedPort()];
    const base = {
      ...allServicesAt(upstream.url),
      REQUIRE_AUTH: 'true',
      JWT_ISSUER: TEST_ISSUER,
      TRUST_PROXY: 'true',
      RATE_LIMIT_MAX: '10000000',
      RATE_LIMIT_USER_MAX: '10000000',
      SHUTDOWN_GRACE_MS: '3000',
    };
    const start = (index: number, env: Record<string, string>): Promise<GatewayProcess> =>
      spawnGateway({ ...base, ...env, PORT: String(ports[index]) });
    const replicas = await Promise.all(ports.map((_port, index) => start(index, { JWT_SECRET: old.secret })));
    nginx = await startNginx((port) => renderForLoopback(readRepoFile('deploy/nginx.conf'), ports, port));

    // The key the auth service signs with now: the old one until it switches, halfway through.
    let signing = old.key;
    const statuses = new Map<number | string, number>();
    let running = true;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    async function worker(): Promise<void> {
      while (running) {
        const token = signHmac(accessClaims(), signing, 'HS384');
        const status = await send({
          port: nginx!.port,
          agent,
          path: '/api/v1/products/1',
          headers: { authorization: `Bearer ${token}` },
        }).then(
          (response) => response.status,
          (error: NodeJS.ErrnoException) => error.code ?? 'error',
        );
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }
    /** Replaces each replica in turn, as a rolling update does: SIGTERM (it drains), then a new process on its port. */
    async function roll(env: Record<string, string>): Promise<void> {
      for (const index of [0, 1, 2]) {
        replicas[index]!.child.kill('SIGTERM');
        await replicas[index]!.exited;
        replicas[index] = await start(index, env);
      }
    }
    const load = Promise.all([worker(), worker(), worker(), worker()]);
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await roll({ JWT_SECRET: next.secret, JWT_SECRET_PREVIOUS: old.secret });
      signing = next.key;
      await new Promise((resolve) => setTimeout(resolve, 500));
      await roll({ JWT_SECRET: next.secret });
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      running = false;
      await load;
      agent.destroy();
    }
    printSummary(`rotation under load: ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect([...statuses.keys()]).to.deep.equal([200]);
    expect(statuses.get(200)).to.be.above(100);
    // The old key is gone: a token it signed is refused now.
    const stale = await send({
      port: nginx.port,
      path: '/api/v1/products/1',
      headers: { authorization: `Bearer ${signHmac(accessClaims(), old.key, 'HS384')}` },
    });
    expect(stale.status).to.equal(401);
  });
});
