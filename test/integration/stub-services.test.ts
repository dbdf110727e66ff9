import { expect } from 'chai';
import type { NodeProcess } from '../../demo/node-process.js';
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
    stubs = spawnScript(STUBS_ENTRY, ['inventory'], { DEMO_INVENTORY_PORT: String(inventory), DEMO_PRODUCT_PORT: String(products) });
    await stubs.waitForLine(() => true, DEMO_WAIT_MS);
    expect(stubs.stdout().trim().split('\n')).to.deep.equal([`inventory-service stub listening on 127.0.0.1:${inventory} (health /health)`]);
    expect((await send({ port: inventory, path: '/health' })).status).to.equal(200);
    const item = await send({ port: inventory, path: '/inventory/1', headers: { 'x-correlation-id': 'walkthrough-1' } });
    expect(item.json()).to.deep.include({ received: { 'x-correlation-id': 'walkthrough-1' } });
    expect(await isClosed(products)).to.equal(true);
    stubs.child.kill('SIGTERM');
    expect(await stubs.waitForExit(DEMO_WAIT_MS)).to.deep.equal({ code: 0, signal: null });
    expect(await isClosed(inventory)).to.equal(true);
  });

  it('when no stub is named, then all four listen on their ports', async () => {
    const ports = await freePorts(4);
    const [auth, user, product, inventory] = ports.map(String) as [string, string, string, string];
    stubs = spawnScript(STUBS_ENTRY, [], { DEMO_AUTH_PORT: auth, DEMO_USER_PORT: user, DEMO_PRODUCT_PORT: product, DEMO_INVENTORY_PORT: inventory });
    await stubs.waitForLine('inventory-service stub listening', DEMO_WAIT_MS);
    const health = await Promise.all(ports.map((port, index) => send({ port, path: index === 3 ? '/health' : '/actuator/health' })));
    expect(health.map((response) => response.status)).to.deep.equal([200, 200, 200, 200]);
  });

  it('when an unknown stub is named, then it exits 1 with one line naming it', async () => {
    stubs = spawnScript(STUBS_ENTRY, ['payments'], {});
    expect(await stubs.waitForExit(DEMO_WAIT_MS)).to.deep.equal({ code: 1, signal: null });
    const lines = stubs.stderr().trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include('"payments"');
  });
});
