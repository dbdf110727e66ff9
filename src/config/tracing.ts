import { boolean, integer, oneOf, optionalText, type EnvVariable } from './parsers.js';

/**
 * The OpenTelemetry SDK's standard variables for traces, read as every OpenTelemetry SDK reads
 * them (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/ and
 * https://opentelemetry.io/docs/specs/otel/protocol/exporter/), except that a bad value stops
 * start-up naming the variable instead of falling back with a warning.
 */
export const TRACING_ENV = {
  OTEL_SDK_DISABLED: boolean(false),
  OTEL_SERVICE_NAME: optionalText(undefined),
  OTEL_RESOURCE_ATTRIBUTES: optionalText(undefined),
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint(),
  // Parsed in readTracing: their values may hold credentials, which a start-up error must not echo.
  OTEL_EXPORTER_OTLP_HEADERS: optionalText(undefined),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: optionalText(undefined),
  OTEL_EXPORTER_OTLP_PROTOCOL: oneOf(['http/protobuf', 'http/json', 'grpc'], 'http/protobuf'),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: optionalText(undefined),
  OTEL_EXPORTER_OTLP_TIMEOUT: integer(10_000, 1),
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: integer(0, 0),
  OTEL_TRACES_SAMPLER: oneOf(
    [
      'always_on',
      'always_off',
      'traceidratio',
      'parentbased_always_on',
      'parentbased_always_off',
      'parentbased_traceidratio',
    ],
    'parentbased_always_on',
  ),
  OTEL_TRACES_SAMPLER_ARG: ratio(),
  OTEL_BSP_SCHEDULE_DELAY: integer(5000, 0),
  OTEL_BSP_EXPORT_TIMEOUT: integer(30_000, 1),
  OTEL_BSP_MAX_QUEUE_SIZE: integer(2048, 1),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: integer(512, 1),
} satisfies Record<string, EnvVariable<unknown>>;

/** The sampler names of `OTEL_TRACES_SAMPLER` the gateway supports. */
export type SamplerName = (typeof TRACING_ENV.OTEL_TRACES_SAMPLER)['defaultValue'];

/** How traces are sampled, recorded and exported (DESIGN.md, "Tracing"). */
export interface TracingConfig {
  /** `service.name` of the gateway's spans. */
  readonly serviceName: string;
  /** Other resource attributes (`OTEL_RESOURCE_ATTRIBUTES`), `service.name` excluded. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** Decides the sampled flag of each trace the gateway starts or continues, exported or not. */
  readonly sampler: { readonly name: SamplerName; readonly ratio: number };
  /** Where spans go; undefined: nothing is recorded or exported, `traceparent` is still propagated. */
  readonly exporter:
    | {
        /** The full URL spans are posted to (`…/v1/traces`). */
        readonly url: string;
        readonly protocol: 'http/protobuf' | 'http/json';
        readonly headers: Readonly<Record<string, string>>;
        readonly timeoutMs: number;
        /** The BatchSpanProcessor's bounds (`OTEL_BSP_*`). */
        readonly batch: {
          readonly scheduledDelayMs: number;
          readonly exportTimeoutMs: number;
          readonly maxQueueSize: number;
          readonly maxExportBatchSize: number;
        };
      }
    | undefined;
}

type TracingValues = { [K in keyof typeof TRACING_ENV]: (typeof TRACING_ENV)[K]['defaultValue'] };

const DEFAULT_SERVICE_NAME = 'api-gateway';

/** Combines the tracing variables into one {@link TracingConfig}, adding a line to `problems` for each bad one. */
export function readTracing(values: TracingValues, problems: string[]): TracingConfig {
  const resource = readKeyValues('OTEL_RESOURCE_ATTRIBUTES', values.OTEL_RESOURCE_ATTRIBUTES, problems);
  // OTEL_SERVICE_NAME wins over a service.name in OTEL_RESOURCE_ATTRIBUTES (the spec's precedence).
  const serviceName = values.OTEL_SERVICE_NAME ?? resource['service.name'] ?? DEFAULT_SERVICE_NAME;
  delete resource['service.name'];
  const sampler = { name: values.OTEL_TRACES_SAMPLER, ratio: values.OTEL_TRACES_SAMPLER_ARG };

  const protocol = values.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?.toLowerCase() ?? values.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    const name =
      values.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL !== undefined
        ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
        : 'OTEL_EXPORTER_OTLP_PROTOCOL';
    problems.push(
      `${name} must be http/protobuf or http/json (the gateway exports OTLP over HTTP only; got ${JSON.stringify(protocol)})`,
    );
  }
  const headers = {
    ...readKeyValues('OTEL_EXPORTER_OTLP_HEADERS', values.OTEL_EXPORTER_OTLP_HEADERS, problems),
    ...readKeyValues('OTEL_EXPORTER_OTLP_TRACES_HEADERS', values.OTEL_EXPORTER_OTLP_TRACES_HEADERS, problems),
  };
  const batch = {
    scheduledDelayMs: values.OTEL_BSP_SCHEDULE_DELAY,
    exportTimeoutMs: values.OTEL_BSP_EXPORT_TIMEOUT,
    maxQueueSize: values.OTEL_BSP_MAX_QUEUE_SIZE,
    maxExportBatchSize: values.OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
  };
  if (batch.maxExportBatchSize > batch.maxQueueSize)
    problems.push('OTEL_BSP_MAX_EXPORT_BATCH_SIZE must not be larger than OTEL_BSP_MAX_QUEUE_SIZE');

  const url = values.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? signalUrl(values.OTEL_EXPORTER_OTLP_ENDPOINT);
  const exporter =
    url === undefined || values.OTEL_SDK_DISABLED
      ? undefined
      : {
          url,
          protocol: protocol === 'http/json' ? ('http/json' as const) : ('http/protobuf' as const),
          headers,
          timeoutMs: values.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT || values.OTEL_EXPORTER_OTLP_TIMEOUT,
          batch,
        };
  return { serviceName, resourceAttributes: resource, sampler, exporter };
}

/** The base endpoint plus the signal's path, `v1/traces`, with one `/` between them (the OTLP exporter spec). */
function signalUrl(base: string | undefined): string | undefined {
  if (base === undefined) return undefined;
  return base.endsWith('/') ? `${base}v1/traces` : `${base}/v1/traces`;
}

/**
 * `key=value,key=value` with percent-encoded values (the W3C Baggage format the spec names for
 * `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_EXPORTER_OTLP_HEADERS`). A bad entry is named by position,
 * never echoed: a header may carry a credential.
 */
function readKeyValues(name: string, raw: string | undefined, problems: string[]): Record<string, string> {
  const entries: Record<string, string> = {};
  if (raw === undefined) return entries;
  raw.split(',').forEach((entry, index) => {
    if (entry.trim() === '') return;
    const equals = entry.indexOf('=');
    const key = entry.slice(0, equals).trim();
    let value: string | undefined;
    try {
      value = equals > 0 ? decodeURIComponent(entry.slice(equals + 1).trim()) : undefined;
    } catch {
      value = undefined;
    }
    if (key === '' || value === undefined)
      problems.push(`${name} must be a comma-separated list of key=value (entry ${index + 1} is not)`);
    else entries[key] = value;
  });
  return entries;
}

/** An absolute http(s) URL, kept as written: the traces endpoint is used exactly as given. */
function endpoint(): EnvVariable<string | undefined> {
  return {
    defaultValue: undefined,
    emptyValue: undefined,
    parse(raw) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(raw);
      } catch {
        parsed = undefined;
      }
      if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
        throw new Error('must be an absolute http or https URL');
      return raw;
    },
  };
}

/** A sampling ratio from 0 to 1 (`OTEL_TRACES_SAMPLER_ARG` of the ratio samplers); default 1. */
function ratio(): EnvVariable<number> {
  return {
    defaultValue: 1,
    emptyValue: 1,
    parse(raw) {
      const value = /^(?:\d+(?:\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
      if (!(value >= 0 && value <= 1)) throw new Error('must be a number from 0 to 1');
      return value;
    },
  };
}
