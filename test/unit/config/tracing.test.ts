import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../../src/config/index.js';

/** The message of the ConfigError `env` causes; fails the test when none is thrown. */
function configErrorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadConfig: tracing (OTEL_*)', () => {
  it('when no OTLP endpoint is set, then nothing is exported, the service is api-gateway and sampling is parent-based always on', () => {
    expect(loadConfig({}).tracing).to.deep.equal({
      serviceName: 'api-gateway',
      resourceAttributes: {},
      sampler: { name: 'parentbased_always_on', ratio: 1 },
      exporter: undefined,
    });
  });

  it('when OTEL_EXPORTER_OTLP_ENDPOINT is set, then spans go to its /v1/traces over http/protobuf with the SDK defaults', () => {
    const { exporter } = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing;
    expect(exporter).to.deep.equal({
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      headers: {},
      timeoutMs: 10_000,
      batch: { scheduledDelayMs: 5000, exportTimeoutMs: 30_000, maxQueueSize: 2048, maxExportBatchSize: 512 },
    });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector/otlp/' }).tracing.exporter?.url).to.equal(
      'https://collector/otlp/v1/traces',
    );
  });

  it('when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set, then it is used exactly as written, over the base endpoint', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/custom/path',
    };
    expect(loadConfig(env).tracing.exporter?.url).to.equal('http://traces:9999/custom/path');
  });

  it('when headers, protocol and timeout are set, then the traces-specific ones win and header values are percent-decoded', () => {
    const { exporter } = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Basic%20abc,x-tenant=shop',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=traces',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '700',
    }).tracing;
    expect(exporter).to.include({ protocol: 'http/json', timeoutMs: 700 });
    expect(exporter?.headers).to.deep.equal({ authorization: 'Basic abc', 'x-tenant': 'traces' });
  });

  it('when OTEL_SDK_DISABLED=true, then nothing is exported even with an endpoint', () => {
    expect(
      loadConfig({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing.exporter,
    ).to.equal(undefined);
  });

  it('when the service is named in OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, then OTEL_SERVICE_NAME wins and the other attributes stay', () => {
    const attributes = 'service.name=from-resource,deployment.environment.name=prod,team=shop%20core';
    expect(loadConfig({ OTEL_RESOURCE_ATTRIBUTES: attributes }).tracing.serviceName).to.equal('from-resource');
    const tracing = loadConfig({ OTEL_RESOURCE_ATTRIBUTES: attributes, OTEL_SERVICE_NAME: 'edge' }).tracing;
    expect(tracing.serviceName).to.equal('edge');
    expect(tracing.resourceAttributes).to.deep.equal({ 'deployment.environment.name': 'prod', team: 'shop core' });
  });

  it('when a ratio sampler is chosen, then OTEL_TRACES_SAMPLER_ARG is its ratio', () => {
    expect(
      loadConfig({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }).tracing.sampler,
    ).to.deep.equal({
      name: 'parentbased_traceidratio',
      ratio: 0.1,
    });
  });

  it('when a tracing variable is bad, then start-up stops naming it', () => {
    expect(configErrorOf({ OTEL_TRACES_SAMPLER: 'jaeger_remote' })).to.include('OTEL_TRACES_SAMPLER must be one of');
    expect(configErrorOf({ OTEL_TRACES_SAMPLER_ARG: '1.5' })).to.include(
      'OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1',
    );
    expect(configErrorOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).to.include(
      'OTEL_EXPORTER_OTLP_ENDPOINT must be an absolute http or https URL',
    );
    expect(configErrorOf({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).to.include(
      'OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json',
    );
    expect(configErrorOf({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' })).to.include(
      'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be http/protobuf or http/json',
    );
    expect(configErrorOf({ OTEL_BSP_MAX_QUEUE_SIZE: '10', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '20' })).to.include(
      'OTEL_BSP_MAX_EXPORT_BATCH_SIZE must not be larger than OTEL_BSP_MAX_QUEUE_SIZE',
    );
    expect(configErrorOf({ OTEL_RESOURCE_ATTRIBUTES: 'team' })).to.include(
      'OTEL_RESOURCE_ATTRIBUTES must be a comma-separated list of key=value (entry 1 is not)',
    );
  });

  it('when an exporter header is malformed, then the error names the entry but never echoes its value (it may be a credential)', () => {
    const message = configErrorOf({ OTEL_EXPORTER_OTLP_HEADERS: 'x-ok=1,authorization-secret-s3cr3t' });
    expect(message).to.include(
      'OTEL_EXPORTER_OTLP_HEADERS must be a comma-separated list of key=value (entry 2 is not)',
    );
    expect(message).not.to.include('s3cr3t');
  });
});
