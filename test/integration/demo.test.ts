import net from 'node:net';
import { expect } from 'chai';
import type { NodeProcess } from '../../demo/node-process.js';
import { DEMO_PASSWORD, USERS } from '../../demo/records.js';
import { READY_LINE } from '../../demo/walkthrough.js';
import { DEMO_ENTRY, DEMO_WAIT_MS, freePorts, isClosed, killTree, spawnScript } from '../helpers/demo.js';
import { send } from '../helpers/http.js';
import { descendantsOf, isRunning } from '../helpers/process-tree.js';

interface Ports {
  readonly gateway: number;
  readonly stubs: readonly number[];
  readonly env: Record<string, string>;
}

async function demoPorts(): Promise<Ports> {
  const [gateway, auth, user, product, inventory] = (await freePorts(5)) as [number, number, number, number, number];
  return {
    gateway,
    stubs: [auth, user, product, inventory],
    env: {
      PORT: String(gateway),
      DEMO_AUTH_PORT: String(auth),
      DEMO_USER_PORT: String(user),
      DEMO_PRODUCT_PORT: String(product),
      DEMO_INVENTORY_PORT: String(inventory),
      // The demo passes it on to its gateway: no metrics listener, whose fixed default port another run may hold.
      METRICS_PORT: '0',
    },
  };
}

/** The gateway's JSON log lines among the demo's output, reduced to `msg` and the shutdown fields. */
function gatewayLogs(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      const { msg, signal, outcome } = JSON.parse(line) as Record<string, unknown>;
      return Object.fromEntries(Object.entries({ msg, signal, outcome }).filter(([, value]) => value !== undefined));
    });
}

/** Every JSON log line of the gateway among the demo's output, as logged. */
function gatewayLogLines(stdout: string): Array<{ level: number; msg: string }> {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string });
}

describe('the demo (node dist-demo/demo/index.js)', function () {
  this.timeout(60_000);
  let demo: NodeProcess | undefined;

  afterEach(async () => {
    if (demo !== undefined) await killTree(demo);
    demo = undefined;
  });

  it('when a user logs in and calls a protected route with and without the token, then 200 with the user echoed, then 401; SIGINT then stops everything with exit 0', async () => {
    const ports = await demoPorts();
    demo = spawnScript(DEMO_ENTRY, [], ports.env);
    await demo.waitForLine(READY_LINE, DEMO_WAIT_MS);
    expect(demo.stdout()).to.include(`http://127.0.0.1:${ports.gateway}/api/v1/auth/login`);

    const user = USERS[0]!;
    const login = await send({
      port: ports.gateway,
      method: 'POST',
      path: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: DEMO_PASSWORD }),
    });
    expect(login.status).to.equal(200);
    const { accessToken, tokenType } = login.json<{ accessToken: string; tokenType: string }>();
    expect(tokenType).to.equal('Bearer');
    // The demo secret is 64 Base64 bytes: the stub signs HS512, as the shop's auth service would.
    expect(JSON.parse(Buffer.from(accessToken.split('.')[0]!, 'base64url').toString('utf8'))).to.deep.equal({
      alg: 'HS512',
      typ: 'JWT',
    });
    // The gateway read the same 64 bytes, and no start-up line warns (no "the auth service cannot sign with this
    // JWT_SECRET").
    const startup = gatewayLogLines(demo.stdout());
    expect(startup.map((line) => line.msg)).to.include(
      'JWT_SECRET read as base64 (auto): 64-byte key, accepting HS256, HS384, HS512',
    );
    expect(startup.filter((line) => line.level >= 40)).to.deep.equal([]);

    const allowed = await send({
      port: ports.gateway,
      path: '/api/v1/products/1',
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(allowed.status).to.equal(200);
    const body = allowed.json<{ data: { id: number }; received: Record<string, string> }>();
    expect(body.data.id).to.equal(1);
    expect(body.received['x-user-id']).to.equal(String(user.id));
    expect(body.received['x-user-role']).to.equal(user.role);
    expect(body.received['x-correlation-id']).to.equal(allowed.headers['x-correlation-id']);

    const refused = await send({ port: ports.gateway, path: '/api/v1/products/1' });
    expect(refused.status).to.equal(401);
    expect(refused.json()).to.deep.equal({
      success: false,
      error: {
        message: 'Authentication required',
        code: 'UNAUTHORIZED',
        correlationId: refused.headers['x-correlation-id'],
      },
    });

    const below = descendantsOf(demo.child.pid!);
    expect(below, 'the gateway runs as a child of the demo').to.have.length.greaterThan(0);
    demo.child.kill('SIGINT');
    expect(await demo.waitForExit(DEMO_WAIT_MS)).to.deep.equal({ code: 0, signal: null });
    // The gateway drained on the forwarded signal rather than being killed with the demo.
    expect(
      gatewayLogs(demo.stdout()).filter((line) => line.msg === 'shutdown requested' || line.msg === 'stopped'),
    ).to.deep.include.members([
      { msg: 'shutdown requested', signal: 'SIGINT' },
      { msg: 'stopped', outcome: 'drained' },
    ]);
    expect(below.filter(isRunning), 'processes left running').to.deep.equal([]);
    for (const port of [ports.gateway, ...ports.stubs])
      expect(await isClosed(port), `port ${port} closed`).to.equal(true);
  });

  it('when the gateway dies under the demo, then the demo closes its stubs and exits 1', async () => {
    const ports = await demoPorts();
    demo = spawnScript(DEMO_ENTRY, [], ports.env);
    await demo.waitForLine(READY_LINE, DEMO_WAIT_MS);
    const [gateway] = descendantsOf(demo.child.pid!);
    process.kill(gateway!, 'SIGKILL');
    expect(await demo.waitForExit(DEMO_WAIT_MS)).to.deep.equal({ code: 1, signal: null });
    expect(demo.stderr()).to.include('the gateway stopped with SIGKILL');
    for (const port of ports.stubs) expect(await isClosed(port), `port ${port} closed`).to.equal(true);
  });

  for (const variable of ['PORT', 'DEMO_PRODUCT_PORT'] as const) {
    it(`when the port of ${variable} is taken, then the demo exits 1 with one line naming ${variable} and starts no gateway`, async () => {
      const ports = await demoPorts();
      const squatter = net.createServer();
      await new Promise<void>((resolve) => squatter.listen(Number(ports.env[variable]), '127.0.0.1', resolve));
      try {
        demo = spawnScript(DEMO_ENTRY, [], ports.env);
        expect(await demo.waitForExit(DEMO_WAIT_MS)).to.deep.equal({ code: 1, signal: null });
        const lines = demo.stderr().trim().split('\n');
        expect(lines).to.have.length(1);
        expect(lines[0]).to.match(new RegExp(`^${variable}: `));
        expect(demo.stdout()).not.to.include('gateway listening');
        for (const port of ports.stubs)
          if (port !== Number(ports.env[variable])) expect(await isClosed(port)).to.equal(true);
      } finally {
        await new Promise((resolve) => squatter.close(resolve));
      }
    });
  }

  it('when a demo variable is not a port, then the demo exits 1 with one line naming it', async () => {
    demo = spawnScript(DEMO_ENTRY, [], { DEMO_AUTH_PORT: 'auth' });
    expect(await demo.waitForExit(DEMO_WAIT_MS)).to.deep.equal({ code: 1, signal: null });
    expect(demo.stderr().trim().split('\n')).to.have.length(1);
    expect(demo.stderr()).to.include('DEMO_AUTH_PORT');
  });

  it('when JWT_SECRET is not Base64, then the demo exits 1 with one line naming JWT_SECRET, as the auth service would fail, and starts nothing', async () => {
    const ports = await demoPorts();
    demo = spawnScript(DEMO_ENTRY, [], { ...ports.env, JWT_SECRET: 'qeetmart-demo-secret-not-for-production-use' });
    expect(await demo.waitForExit(DEMO_WAIT_MS)).to.deep.equal({ code: 1, signal: null });
    const lines = demo.stderr().trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^Invalid demo configuration: JWT_SECRET cannot be used by the auth service: /);
    expect(demo.stdout()).to.equal('');
    for (const port of [ports.gateway, ...ports.stubs])
      expect(await isClosed(port), `port ${port} closed`).to.equal(true);
  });
});
