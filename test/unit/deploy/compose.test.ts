import { expect } from 'chai';
import { SERVICES, type ServiceId } from '../../../demo/services.js';
import { DEMO_JWT_SECRET, stubPortVariable } from '../../../demo/settings.js';
import { readSecretKey } from '../../../src/auth/key.js';
import { loadConfig } from '../../../src/config/index.js';
import {
  durationMs,
  environmentOf,
  mountedFileReader,
  readCompose,
  upstreamServers,
  type ComposeService,
} from '../../helpers/compose.js';
import { readDockerfile, readRepoFile } from '../../helpers/dockerfile.js';

const STUB_ENTRY = 'dist-demo/demo/stub-services.js';

describe('docker-compose.yml', () => {
  const { services } = readCompose();
  const names = Object.keys(services);
  /** Services that run the image's own command: the gateway. */
  const gateways = names.filter((name) => services[name]!.build !== undefined && services[name]!.command === undefined);
  const stubs = names.filter((name) => services[name]!.command?.includes(STUB_ENTRY));
  const stubFor = (id: ServiceId): [string, ComposeService] => {
    const name = stubs.find((candidate) => services[candidate]!.command!.at(-1) === id);
    expect(name, `a stub service running "${id}"`).not.to.equal(undefined);
    return [name!, services[name!]!];
  };

  it('when the services are listed, then there are exactly three gateway replicas, gateway-1 to gateway-3', () => {
    expect(gateways).to.deep.equal(['gateway-1', 'gateway-2', 'gateway-3']);
  });

  it('when the replicas are compared, then they share one environment, REDIS_URL at the redis service, and trust the proxy in front', () => {
    const environments = gateways.map((name) => environmentOf(services[name]!));
    for (const environment of environments) expect(environment).to.deep.equal(environments[0]);
    const redisUrl = new URL(environments[0]!.REDIS_URL!);
    expect(redisUrl.protocol).to.equal('redis:');
    expect(services[redisUrl.hostname]?.image).to.match(/^redis:/);
    expect(redisUrl.port).to.equal('6379');
    expect(environments[0]!.TRUST_PROXY).to.equal('true');
  });

  it('when a replica starts, then GATEWAY_CONFIG names config/gateway.yaml through a read-only mount of config/, so an edit needs no rebuild', () => {
    for (const name of gateways) {
      const environment = environmentOf(services[name]!);
      expect(services[name]!.volumes, name).to.deep.equal(['./config:/etc/api-gateway:ro']);
      const mounted = mountedFileReader(services[name]!)(environment.GATEWAY_CONFIG!);
      expect(mounted.text, name).to.equal(readRepoFile('config/gateway.yaml'));
    }
    expect(() =>
      loadConfig({ GATEWAY_CONFIG: '/etc/elsewhere/gateway.yaml' }, mountedFileReader(services['gateway-1']!)),
    ).to.throw(/not a file any volume mounts/);
  });

  it('when Redis starts, then it persists nothing', () => {
    const redis = services.redis!;
    expect(redis.command).to.include.members(['--save', '', '--appendonly', 'no']);
    expect(redis.volumes).to.equal(undefined);
  });

  it('when a replica starts from the image (NODE_ENV=production), then its environment is a valid gateway configuration', () => {
    const imageEnv = Object.fromEntries(
      readDockerfile()
        .filter((step) => step.keyword === 'ENV')
        .map((step) => step.args.split('=') as [string, string]),
    );
    expect(imageEnv.NODE_ENV).to.equal('production');
    const config = loadConfig(
      { ...imageEnv, ...environmentOf(services['gateway-1']!) },
      mountedFileReader(services['gateway-1']!),
    );
    expect(config.auth.required).to.equal(true);
    expect(config.rateLimit.redis).to.deep.equal({ kind: 'url', url: 'redis://redis:6379' });
  });

  it("when the replicas call a service, then its URL names the stub service running it, on the stub's port", () => {
    const config = loadConfig(environmentOf(services['gateway-1']!), mountedFileReader(services['gateway-1']!));
    for (const service of config.services) {
      const id = (Object.keys(SERVICES) as ServiceId[]).find((candidate) => SERVICES[candidate].name === service.name)!;
      const [name, stub] = stubFor(id);
      const url = new URL(service.urls[0]!);
      expect(url.hostname, service.name).to.equal(name);
      expect(environmentOf(stub)[stubPortVariable(id)], service.name).to.equal(url.port);
      expect(environmentOf(stub).DEMO_STUB_HOST).to.equal('0.0.0.0');
    }
  });

  it('when the stub auth service signs tokens, then it uses the JWT secret and issuer the replicas verify with', () => {
    const [, auth] = stubFor('auth');
    const gateway = environmentOf(services['gateway-1']!);
    expect(environmentOf(auth)).to.include({ JWT_SECRET: gateway.JWT_SECRET, JWT_ISSUER: gateway.JWT_ISSUER });
  });

  it("when JWT_SECRET is not set, then the stub and the replicas share the demo's public secret, one the auth service can sign with", () => {
    const [, auth] = stubFor('auth');
    expect(environmentOf(auth).JWT_SECRET).to.equal(DEMO_JWT_SECRET);
    expect(environmentOf(services['gateway-1']!).JWT_SECRET).to.equal(DEMO_JWT_SECRET);
    expect(readSecretKey(DEMO_JWT_SECRET, 'auto').service).to.deep.equal({
      result: 'signs',
      algorithm: 'HS512',
      keyBytes: 64,
    });
  });

  it('when every service is listed, then each has a healthcheck; replicas and stubs probe their own health path and port', () => {
    for (const name of names) expect(services[name]!.healthcheck?.test, name).to.be.an('array').that.is.not.empty;
    for (const name of gateways) {
      const probe = new URL(services[name]!.healthcheck!.test!.at(-1)!);
      expect([probe.hostname, probe.port, probe.pathname]).to.deep.equal([
        '127.0.0.1',
        environmentOf(services[name]!).PORT,
        '/health',
      ]);
    }
    for (const id of Object.keys(SERVICES) as ServiceId[]) {
      const [name, stub] = stubFor(id);
      const probe = new URL(stub.healthcheck!.test!.at(-1)!);
      expect([probe.port, probe.pathname], name).to.deep.equal([
        environmentOf(stub)[stubPortVariable(id)],
        SERVICES[id].healthPath,
      ]);
    }
  });

  it('when a replica is stopped, then Compose waits longer than SHUTDOWN_GRACE_MS before killing it', () => {
    for (const name of gateways) {
      const grace = Number(environmentOf(services[name]!).SHUTDOWN_GRACE_MS ?? 10_000);
      expect(durationMs(services[name]!.stop_grace_period ?? '10s'), name).to.be.greaterThan(grace);
    }
  });

  it('when nginx starts, then it publishes :4000, loads deploy/nginx.conf and waits for every healthy replica it balances', () => {
    const nginx = services.nginx!;
    expect(nginx.ports).to.deep.equal(['4000:4000']);
    expect(nginx.volumes).to.deep.equal(['./deploy/nginx.conf:/etc/nginx/nginx.conf:ro']);
    expect(Object.keys(nginx.depends_on ?? {})).to.have.members(gateways);
    for (const name of gateways) expect(nginx.depends_on![name]!.condition).to.equal('service_healthy');
    const servers = upstreamServers(readRepoFile('deploy/nginx.conf'), 'gateway');
    expect(servers).to.have.members(gateways.map((name) => `${name}:${environmentOf(services[name]!).PORT}`));
    expect(servers).to.have.length(gateways.length);
  });

  it("when the images are built, then the replicas build the Dockerfile's runtime stage and the stubs its demo stage, under another image name", () => {
    const stages = new Set(readDockerfile().map((step) => step.stageName));
    const gatewayBuild = services['gateway-1']!.build;
    expect(gatewayBuild).to.deep.equal({ context: '.', target: 'runtime' });
    for (const name of gateways) expect(services[name]!.build, name).to.deep.equal(gatewayBuild);
    for (const name of stubs) {
      expect(services[name]!.build, name).to.deep.equal({ context: '.', target: 'demo' });
      expect(services[name]!.image, name).to.be.a('string').and.not.equal(services['gateway-1']!.image);
    }
    expect([...stages]).to.include.members(['runtime', 'demo']);
  });

  it('when the stubs run, then each runs one stub, and only nginx publishes a port (and Jaeger its UI, under the tracing profile)', () => {
    expect(stubs).to.have.length(Object.keys(SERVICES).length);
    expect(names.filter((name) => services[name]!.ports !== undefined)).to.deep.equal(['nginx', 'jaeger']);
    expect(services.jaeger!.ports).to.deep.equal(['16686:16686']);
  });

  it('when no profile is chosen, then Jaeger does not start and the replicas export no traces', () => {
    expect(services.jaeger!.profiles).to.deep.equal(['tracing']);
    for (const name of names.filter((candidate) => candidate !== 'jaeger'))
      expect(services[name]!.profiles, name).to.equal(undefined);
    expect(
      loadConfig(environmentOf(services['gateway-1']!), mountedFileReader(services['gateway-1']!)).tracing.exporter,
    ).to.equal(undefined);
  });

  it('when the tracing profile runs with the documented endpoint, then the replicas export OTLP to the Jaeger service as api-gateway', () => {
    const documented = /OTEL_EXPORTER_OTLP_ENDPOINT=(\S+) docker compose --profile tracing up/.exec(
      readRepoFile('docker-compose.yml'),
    )?.[1];
    expect(documented).to.be.a('string');
    const config = loadConfig(
      environmentOf(services['gateway-1']!, { OTEL_EXPORTER_OTLP_ENDPOINT: documented! }),
      mountedFileReader(services['gateway-1']!),
    );
    const url = new URL(config.tracing.exporter!.url);
    expect(services[url.hostname]?.image).to.match(/^jaegertracing\/jaeger:2\./);
    expect([url.port, url.pathname]).to.deep.equal(['4318', '/v1/traces']);
    expect(config.tracing.serviceName).to.equal('api-gateway');
  });
});
