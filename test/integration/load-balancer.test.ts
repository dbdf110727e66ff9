import http from 'node:http';
import { expect } from 'chai';
import { allServicesAt } from '../helpers/gateway.js';
import { readRepoFile } from '../helpers/dockerfile.js';
import { send } from '../helpers/http.js';
import { hasNginx, renderForLoopback, startNginx, type RunningNginx } from '../helpers/nginx.js';
import { killSpawnedGateways, spawnGateway, type GatewayProcess } from '../helpers/process.js';
import { REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { waitFor } from '../helpers/wait.js';

const LIMIT = 10;

describe('deploy/nginx.conf in front of three gateway processes sharing Redis', function () {
  this.timeout(60_000);
  let upstream: TestUpstream;
  let replicas: GatewayProcess[];
  let nginx: RunningNginx | undefined;

  before(async () => {
    expect(hasNginx(), 'nginx on PATH (.ci/run installs it)').to.equal(true);
    upstream = await startUpstream();
    const env = {
      ...allServicesAt(upstream.url),
      TRUST_PROXY: 'true',
      REDIS_URL,
      RATE_LIMIT_REDIS_PREFIX: uniquePrefix('nginx'),
      RATE_LIMIT_MAX: String(LIMIT),
    };
    replicas = await Promise.all([spawnGateway(env), spawnGateway(env), spawnGateway(env)]);
    await Promise.all(replicas.map((replica) => waitFor(() => replica.logs.some((line) => line.redis === 'ready'))));
    const config = readRepoFile('deploy/nginx.conf');
    nginx = await startNginx((port) =>
      renderForLoopback(
        config,
        replicas.map((replica) => replica.port),
        port,
      ),
    );
  });

  after(async () => {
    await nginx?.stop();
    await killSpawnedGateways();
    await upstream?.close();
  });

  const completed = (replica: GatewayProcess, path: string): number =>
    replica.logs.filter((line) => line.msg === 'request completed' && line.path === path).length;

  it('when /health is asked six times on one connection, then it passes through and each replica answers two', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 6; i += 1) {
        const response = await send({ port: nginx!.port, path: '/health', agent });
        expect(response.json()).to.include({ status: 'ok', service: 'api-gateway' });
      }
    } finally {
      agent.destroy();
    }
    await waitFor(() => replicas.reduce((sum, replica) => sum + completed(replica, '/health'), 0) === 6);
    expect(replicas.map((replica) => completed(replica, '/health'))).to.deep.equal([2, 2, 2]);
  });

  it('when a client sends a different X-Forwarded-For each time, then the replicas still count one client, shared through Redis', async () => {
    // One connection, so one nginx worker: its round robin spreads the 12 requests 4/4/4.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const statuses: number[] = [];
    try {
      for (let i = 0; i < LIMIT + 2; i += 1) {
        const headers = { 'x-forwarded-for': `203.0.113.${i}` };
        statuses.push((await send({ port: nginx!.port, path: '/api/v1/products/1', headers, agent })).status);
      }
    } finally {
      agent.destroy();
    }
    // Each replica alone would let all of its 4 through: exactly LIMIT pass only because they share one count.
    expect(statuses).to.deep.equal([...Array<number>(LIMIT).fill(200), 429, 429]);
    await waitFor(
      () => replicas.reduce((sum, replica) => sum + completed(replica, '/api/v1/products/1'), 0) === LIMIT + 2,
    );
    expect(replicas.map((replica) => completed(replica, '/api/v1/products/1'))).to.deep.equal([4, 4, 4]);
    const seen = upstream.seen.at(-1)!;
    expect(seen.headers['x-forwarded-for']).to.equal(`203.0.113.${LIMIT - 1}, 127.0.0.1, 127.0.0.1`);
    expect(seen.headers['x-forwarded-proto']).to.equal('http');
  });

  it("when no replica is reachable, then nginx answers 502 in the gateway's JSON envelope", async () => {
    await killSpawnedGateways();
    const response = await send({ port: nginx!.port, path: '/api/v1/products/1' });
    expect(response.status).to.equal(502);
    expect(response.headers['content-type']).to.equal('application/json');
    const body = response.json<{ success: boolean; error: { code: string; correlationId: string } }>();
    expect(body.success).to.equal(false);
    expect(body.error.code).to.equal('SERVICE_UNAVAILABLE');
    expect(body.error.correlationId).to.equal(response.headers['x-correlation-id']);
  });
});
