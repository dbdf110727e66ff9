import { expect } from 'chai';
import { loadConfig } from '../../../src/config/index.js';
import { pickLeastLoaded } from '../../../src/upstream/balancer.js';
import { Instance } from '../../../src/upstream/instance.js';
import { InstanceSet } from '../../../src/upstream/instance-set.js';
import { createMetrics } from '../../../src/metrics.js';
import { createMemoryLogger } from '../../helpers/logger.js';

const target = (address: string) => ({ address, port: 80, host: 'svc', servername: 'svc', secure: false });

describe('pickLeastLoaded (power of two choices)', () => {
  it('when the two picks differ in outstanding requests, then the less loaded one is chosen', () => {
    const [a, b, c] = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((address) => new Instance(target(address)));
    a!.outstanding = 5;
    b!.outstanding = 1;
    c!.outstanding = 0;
    // random 0 picks index 0 (a) first; the second index is then 1 (b) when random gives 0 again.
    expect(pickLeastLoaded([a!, b!, c!], () => 0)).to.equal(b);
  });

  it('when picking, then the second index always differs from the first', () => {
    const instances = ['10.0.0.1', '10.0.0.2'].map((address) => new Instance(target(address)));
    instances[0]!.outstanding = 3;
    for (const random of [0, 0.49, 0.5, 0.99]) expect(pickLeastLoaded(instances, () => random)).to.equal(instances[1]);
  });

  it('when there is one candidate or none, then it is that one or undefined', () => {
    const only = new Instance(target('10.0.0.1'));
    expect(pickLeastLoaded([only], Math.random)).to.equal(only);
    expect(pickLeastLoaded([], Math.random)).to.equal(undefined);
  });
});

describe('Instance ejection', () => {
  it('when ejected again and again, then the time doubles up to 10 times the base, and a success starts it over', () => {
    const instance = new Instance(target('10.0.0.1'));
    expect([1, 2, 3, 4, 5, 6].map(() => instance.eject(0, 100))).to.deep.equal([100, 200, 400, 800, 1000, 1000]);
    instance.succeeded();
    expect(instance.eject(0, 100)).to.equal(100);
    expect(instance.state(99)).to.equal('ejected');
    expect(instance.state(100)).to.equal('up');
  });
});

describe('InstanceSet', () => {
  function setOf(addresses: () => string[], env: Record<string, string> = {}) {
    let now = 0;
    const config = loadConfig({
      PRODUCT_SERVICE_URL: 'http://products.test:8083',
      UPSTREAM_EJECT_FAILURES: '2',
      UPSTREAM_EJECT_MS: '1000',
      ...env,
    });
    const service = config.services.find((candidate) => candidate.name === 'product-service')!;
    const { logger, lines } = createMemoryLogger();
    const set = new InstanceSet({
      service,
      lookup: async () => addresses(),
      refreshMs: 60_000,
      logger,
      metrics: createMetrics(),
      now: () => now,
      random: Math.random,
    });
    return { set, lines, advance: (ms: number) => void (now += ms) };
  }

  it('when instances keep failing, then no more than half of them are ejected at once', async () => {
    const { set } = setOf(() => ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
    await set.ready();
    for (const instance of set.list()) for (let failure = 0; failure < 4; failure += 1) set.failed(instance);
    expect(
      set
        .list()
        .map((instance) => instance.state(0))
        .filter((state) => state === 'ejected'),
    ).to.have.length(2);
    set.close();
  });

  it('when every instance is out, then the balancer still picks among all of them rather than none', async () => {
    const { set } = setOf(() => ['10.0.0.1', '10.0.0.2']);
    await set.ready();
    for (const instance of set.list()) instance.healthy = false;
    expect(set.pick()).to.be.instanceOf(Instance);
    set.close();
  });

  it('when a lookup fails, then the last good instances stay and the failure is logged once until it works again', async () => {
    let answer: string[] | Error = ['10.0.0.1', '10.0.0.2'];
    const { set, lines } = setOf(() => {
      if (answer instanceof Error) throw answer;
      return answer;
    });
    await set.ready();
    answer = Object.assign(new Error('queryA ESERVFAIL'), { code: 'ESERVFAIL' });
    await set.refresh();
    await set.refresh();
    expect(set.list().map((instance) => instance.key)).to.deep.equal(['10.0.0.1:8083', '10.0.0.2:8083']);
    expect(lines.filter((line) => String(line.msg).startsWith('lookup for product-service failed'))).to.have.length(1);
    answer = ['10.0.0.2'];
    await set.refresh();
    expect(set.list().map((instance) => instance.key)).to.deep.equal(['10.0.0.2:8083']);
    expect(lines.filter((line) => line.msg === 'lookup for product-service works again')).to.have.length(1);
    set.close();
  });

  it('when an address leaves DNS with a request in flight, then its pool stays until that request ends', async () => {
    let addresses = ['10.0.0.1', '10.0.0.2'];
    const { set } = setOf(() => addresses);
    await set.ready();
    const leaving = set.list()[0]!;
    let destroyed = 0;
    const destroy = leaving.agent.destroy.bind(leaving.agent);
    leaving.agent.destroy = () => {
      destroyed += 1;
      destroy();
    };
    leaving.outstanding = 1;
    addresses = ['10.0.0.2'];
    await set.refresh();
    expect(leaving.retired).to.equal(true);
    expect(set.pick()).to.not.equal(leaving);
    expect(destroyed).to.equal(0);
    leaving.outstanding = 0;
    leaving.closeIfIdle();
    expect(destroyed).to.equal(1);
    set.close();
  });
});
