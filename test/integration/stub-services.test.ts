import { expect } from 'chai';
import type { NodeProcess } from '../../demo/node-process.js';
import { DEMO_PASSWORD, USERS } from '../../demo/records.js';
import { DEMO_WAIT_MS, STUBS_ENTRY, freePorts, isClosed, killTree, spawnScript } from '../helpers/demo.js';
import { send } from '../helpers/http.js';

describe('stub services on their own (node dist-demo/demo/stub-services.js)', function () {
  this.timeout(30_000);
  let stubs: NodeProcess | undefined;

  afterEach(async () => {
    if (stubs !== undefined) await killTree(stubs);
    stubs = undefined;
  });

  it('when one stub is named, then only it listens, on its DEMO_<NAME>_PORT, and SIGTERM ends it with exit 0', async () => {
    const [inventory, products] = (await freePorts(2)) as [number, number];
    stubs = spawnScript(STUBS_ENTRY, ['inventory'], {
      DEMO_INVENTORY_PORT: String(inventory),
      DEMO_PRODUCT_PORT: String(products),
    });
    await stubs.waitForLine(() => true, DEMO_WAIT_MS);
    expect(stubs.stdout().trim().split('\n')).to.deep.equal([
      `inventory-service stub listening on 127.0.0.1:${inventory} (health /health)`,
    ]);
    expect((await send({ port: inventory, path: '/health' })).status).to.equal(200);
    const item = await send({
      port: inventory,
      path: '/inventory/1',
      headers: { 'x-correlation-id': 'walkthrough-1' },
    });
    expect(item.json()).to.deep.include({ received: { 'x-correlation-id': 'walkthrough-1' } });
    expect(await isClosed(products)).to.equal(true);
    stubs.child.kill('SIGTERM');
    expect(await stubs.waitForExit(DEMO_WAIT_MS)).to.deep.equal({ code: 0, signal: null });
    expect(await isClosed(inventory)).to.equal(true);
  });

  it('when no stub is named, then all four listen on their ports', async () => {
    const ports = await freePorts(4);
    const [auth, user, product, inventory] = ports.map(String) as [string, string, string, string];
    stubs = spawnScript(STUBS_ENTRY, [], {
      DEMO_AUTH_PORT: auth,
      DEMO_USER_PORT: user,
      DEMO_PRODUCT_PORT: product,
      DEMO_INVENTORY_PORT: inventory,
    });
    await stubs.waitForLine('inventory-service stub listening', DEMO_WAIT_MS);
    const health = await Promise.all(
      ports.map((port, index) => send({ port, path: index === 3 ? '/health' : '/actuator/health' })),
    );
    expect(health.map((response) => response.status)).to.deep.equal([200, 200, 200, 200]);
  });

  it('when an unknown stub is named, then it exits 1 with one line naming it', async () => {
    stubs = spawnScript(STUBS_ENTRY, ['payments'], {});
    expect(await stubs.waitForExit(DEMO_WAIT_MS)).to.deep.equal({ code: 1, signal: null });
    const lines = stubs.stderr().trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include('"payments"');
  });

  for (const [kind, secret] of [
    ['not Base64', 'qeetmart-demo-secret-not-for-production-use'],
    ['Base64 of 24 bytes', Buffer.alloc(24, 5).toString('base64')],
  ] as const) {
    it(`when the auth stub starts with a JWT_SECRET that is ${kind}, then it refuses, as the auth service fails: exit 1, one line naming JWT_SECRET, nothing listening`, async () => {
      const [auth] = (await freePorts(1)) as [number];
      stubs = spawnScript(STUBS_ENTRY, ['auth'], { DEMO_AUTH_PORT: String(auth), JWT_SECRET: secret });
      expect(await stubs.waitForExit(DEMO_WAIT_MS)).to.deep.equal({ code: 1, signal: null });
      const lines = stubs.stderr().trim().split('\n');
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/^Invalid demo configuration: JWT_SECRET cannot be used by the auth service: /);
      expect(lines[0]).not.to.include(secret);
      expect(stubs.stdout()).to.equal('');
      expect(await isClosed(auth)).to.equal(true);
    });
  }

  it('when the auth stub starts with the demo secret, then a login is signed HS512', async () => {
    const [auth] = (await freePorts(1)) as [number];
    stubs = spawnScript(STUBS_ENTRY, ['auth'], { DEMO_AUTH_PORT: String(auth) });
    await stubs.waitForLine('auth-service stub listening', DEMO_WAIT_MS);
    const body = JSON.stringify({ email: USERS[0]!.email, password: DEMO_PASSWORD });
    const login = await send({
      port: auth,
      method: 'POST',
      path: '/auth/login',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(login.status).to.equal(200);
    const header = login.json<{ accessToken: string }>().accessToken.split('.')[0]!;
    expect(JSON.parse(Buffer.from(header, 'base64url').toString('utf8'))).to.deep.equal({ alg: 'HS512', typ: 'JWT' });
  });
});
