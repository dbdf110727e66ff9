import { expect } from 'chai';
import { createGateway, type Gateway } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { gatewayFileText, type TestRoute } from '../helpers/gateway-file.js';
import { createMemoryLogger } from '../helpers/logger.js';

const route = (name: string, url: string): TestRoute => ({
  name,
  url,
  prefix: `/api/v1/${name}`,
  upstreamPath: `/${name}`,
});

/** The routing of a gateway file with `routes`, read from memory. */
function routingOf(routes: readonly TestRoute[]): ReturnType<typeof loadConfig> {
  return loadConfig({}, () => ({ path: '/etc/api-gateway/gateway.yaml', text: gatewayFileText(routes) }));
}

describe('RoutingSwitch', () => {
  let gateway: Gateway | undefined;

  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  it('when a file is swapped in, then unchanged services keep their upstream, changed ones get a new one, and dropped ones leave the metrics', async () => {
    const first = routingOf([
      route('products', 'http://127.0.0.1:8083'),
      route('orders', 'http://127.0.0.1:8090'),
      route('reviews', 'http://127.0.0.1:8091'),
    ]);
    gateway = createGateway(first, { logger: createMemoryLogger().logger });
    const before = gateway.routing.current;

    const after = await gateway.routing.swap(
      routingOf([route('products', 'http://127.0.0.1:8083'), route('orders', 'http://127.0.0.1:9090')]),
    );

    expect(gateway.routing.current).to.equal(after);
    expect(after.upstreams.get('products-service')).to.equal(before.upstreams.get('products-service'));
    expect(after.upstreams.get('orders-service')).not.to.equal(before.upstreams.get('orders-service'));
    expect([...after.upstreams.keys()]).to.deep.equal(['products-service', 'orders-service']);
    expect(after.publicPaths).to.deep.equal([]);
    expect(after.routeLabel('/api/v1/reviews/1')).to.equal('unmatched');
    const metrics = await gateway.metrics.registry.metrics();
    expect(metrics).to.include('gateway_circuit_state{service="orders-service"} 0');
    expect(metrics).not.to.include('reviews-service');
  });
});
