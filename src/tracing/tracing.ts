import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import type { TracingConfig } from '../config/index.js';
import type { Lifecycle } from '../lifecycle.js';
import type { GatewayMetrics } from '../metrics.js';
import { TIMED_OUT, withTimeout } from '../with-timeout.js';
import { createBoundedExport, type DropReason } from './bounded-export.js';
import { createPropagatingTracer } from './propagating-tracer.js';
import type { SpanStarter } from './request-trace.js';

/** The tracing of one gateway: its tracer, and how it stops. No global is registered, so two gateways trace apart. */
export interface Tracing {
  readonly tracer: SpanStarter;
  /** True when spans are recorded and exported. */
  readonly exporting: boolean;
  /** Exports what is queued and stops; once the drain has begun, within what is left of the shutdown grace. */
  shutdown(): Promise<void>;
}

/** Options of {@link createTracing}. */
export interface TracingOptions {
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  /** The gateway's version, `service.version` of its spans. */
  readonly version: string;
  /** The drain starts the shutdown grace the last export must fit in. */
  readonly lifecycle: Lifecycle;
  readonly shutdownGraceMs: number;
}

/**
 * Builds the tracing `config` asks for. With an exporter: the SDK's tracer provider with a bounded
 * batch processor and an OTLP/HTTP exporter, each passed its settings explicitly. Without: a
 * tracer that records nothing and only propagates.
 */
export function createTracing(config: TracingConfig, options: TracingOptions): Tracing {
  const sampler = createSampler(config.sampler);
  const { exporter } = config;
  if (exporter === undefined)
    return { tracer: createPropagatingTracer(sampler), exporting: false, shutdown: () => Promise.resolve() };

  const { logger, metrics } = options;
  const collector = new URL(exporter.url).host;
  let failing = false;
  const processor = createBoundedExport({
    exporter: createExporter(exporter),
    batch: exporter.batch,
    onDrop(reason: DropReason, count: number, cause?: Error) {
      metrics.spansDropped(reason, count);
      if (failing) return;
      failing = true;
      logger.warn(
        { collector, reason, cause: cause?.message },
        'trace export failing: spans are dropped until the collector takes them again',
      );
    },
    onExported() {
      if (!failing) return;
      failing = false;
      logger.info({ collector }, 'trace export recovered');
    },
  });
  const provider = new BasicTracerProvider({
    sampler,
    resource: defaultResource().merge(
      resourceFromAttributes({
        ...config.resourceAttributes,
        [ATTR_SERVICE_NAME]: config.serviceName,
        [ATTR_SERVICE_VERSION]: options.version,
      }),
    ),
    spanProcessors: [processor],
  });

  let drainedAt: number | undefined;
  options.lifecycle.onDrain(() => {
    drainedAt = Date.now();
  });
  return {
    tracer: provider.getTracer('api-gateway', options.version),
    exporting: true,
    async shutdown() {
      const budget =
        drainedAt === undefined ? options.shutdownGraceMs : drainedAt + options.shutdownGraceMs - Date.now();
      const outcome = await withTimeout(
        provider.shutdown().catch(() => undefined),
        Math.max(0, budget),
      );
      if (outcome === TIMED_OUT)
        logger.warn({ collector }, 'trace export did not finish within the shutdown grace; queued spans are lost');
    },
  };
}

/** The OTLP/HTTP exporter of `protocol`; headers and timeout as configured (the SDK's defaults otherwise). */
function createExporter(exporter: NonNullable<TracingConfig['exporter']>): JsonExporter | ProtobufExporter {
  const settings = { url: exporter.url, headers: { ...exporter.headers }, timeoutMillis: exporter.timeoutMs };
  return exporter.protocol === 'http/json' ? new JsonExporter(settings) : new ProtobufExporter(settings);
}

/** The sampler `OTEL_TRACES_SAMPLER` names (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/#general-sdk-configuration). */
function createSampler({ name, ratio }: TracingConfig['sampler']): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}
