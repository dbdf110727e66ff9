import { expect } from 'chai';
import { SERVICES } from '../../../demo/services.js';
import { loadConfig } from '../../../src/config/index.js';

describe('demo services', () => {
  it('when the demo stubs the shop, then each stub has the name, env prefix, URL and health path of its service in config/gateway.yaml', () => {
    const services = loadConfig({}).services.map(({ name, env, urls, healthPath }) => ({
      name,
      env,
      defaultUrl: urls[0],
      healthPath,
    }));
    expect(Object.values(SERVICES)).to.deep.equal(services);
  });
});
