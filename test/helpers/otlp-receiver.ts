import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './wait.js';

/** An attribute value as OTLP carries it, reduced to a JavaScript value. */
export type AttributeValue = string | number | boolean;

/** One span as a collector received it. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly traceState: string;
  readonly name: string;
  /** OTLP's SpanKind: 2 server, 3 client. */
  readonly kind: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly attributes: Record<string, AttributeValue>;
  readonly events: ReadonlyArray<{ readonly name: string; readonly attributes: Record<string, AttributeValue> }>;
  /** OTLP's StatusCode: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  /** The resource's attributes (`service.name` …). */
  readonly resource: Record<string, AttributeValue>;
}

/** OTLP span kinds, as numbers on the wire. */
export const SPAN_KIND = { SERVER: 2, CLIENT: 3 } as const;

/**
 * A real OTLP/HTTP trace receiver on a loopback port: decodes what exporters post to `/v1/traces`, JSON or protobuf.
 */
export interface OtlpReceiver {
  readonly port: number;
  /** The base endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  /** The content type of every export request received. */
  readonly contentTypes: string[];
  /** From now on requests are accepted and never answered (a hanging collector); `false` answers again. */
  hang(hanging: boolean): void;
  /** Resolves with the spans once `count` of them matching `filter` have arrived; fails after `timeoutMs`. */
  waitForSpans(count: number, filter?: (span: ReceivedSpan) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

/** Starts an OTLP/HTTP receiver on 127.0.0.1:0. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  let hanging = false;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (hanging) return;
      const type = request.headers['content-type'] ?? '';
      contentTypes.push(type);
      const body = Buffer.concat(chunks);
      if (request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      spans.push(...(type.startsWith('application/json') ? decodeJson(body) : decodeProtobuf(body)));
      // An empty ExportTraceServiceResponse, in the request's encoding.
      response.writeHead(200, { 'content-type': type }).end(type.startsWith('application/json') ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    hang(value) {
      hanging = value;
    },
    async waitForSpans(count, filter = () => true, timeoutMs = 5000) {
      try {
        await waitFor(() => spans.filter(filter).length >= count, timeoutMs);
      } catch {
        throw new Error(
          `expected ${count} spans at the OTLP receiver within ${timeoutMs} ms, got ${spans.filter(filter).length}`,
        );
      }
      return spans.filter(filter);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// --- OTLP/JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding): ids are hex strings.

interface JsonKeyValue {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
}
interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: JsonKeyValue[];
  events?: Array<{ name: string; attributes?: JsonKeyValue[] }>;
  status?: { code?: number };
}
interface JsonRequest {
  resourceSpans?: Array<{ resource?: { attributes?: JsonKeyValue[] }; scopeSpans?: Array<{ spans?: JsonSpan[] }> }>;
}

function jsonAttributes(list: JsonKeyValue[] | undefined): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) {
    attributes[key] =
      value.stringValue ??
      (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
      value.boolValue ??
      value.doubleValue ??
      '';
  }
  return attributes;
}

function decodeJson(body: Buffer): ReceivedSpan[] {
  const request = JSON.parse(body.toString('utf8')) as JsonRequest;
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = jsonAttributes(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        traceState: span.traceState ?? '',
        name: span.name,
        kind: span.kind,
        startNs: BigInt(span.startTimeUnixNano),
        endNs: BigInt(span.endTimeUnixNano),
        attributes: jsonAttributes(span.attributes),
        events: (span.events ?? []).map((event) => ({
          name: event.name,
          attributes: jsonAttributes(event.attributes),
        })),
        statusCode: span.status?.code ?? 0,
        resource,
      })),
    );
  });
}

// --- OTLP/protobuf: the few fields of opentelemetry/proto/trace/v1/trace.proto these tests read,
// decoded straight from the wire format (https://protobuf.dev/programming-guides/encoding/).

type Field = { readonly number: number; readonly varint?: bigint; readonly bytes?: Buffer };

function readVarint(buffer: Buffer, start: number): [bigint, number] {
  let value = 0n;
  let shift = 0n;
  let offset = start;
  for (;;) {
    const byte = buffer[offset++]!;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [value, offset];
    shift += 7n;
  }
}

function fields(buffer: Buffer): Field[] {
  const out: Field[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const [key, next] = readVarint(buffer, offset);
    offset = next;
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [varint, after] = readVarint(buffer, offset);
      out.push({ number, varint });
      offset = after;
    } else if (wire === 1) {
      out.push({ number, varint: buffer.readBigUInt64LE(offset) });
      offset += 8;
    } else if (wire === 5) {
      out.push({ number, varint: BigInt(buffer.readUInt32LE(offset)) });
      offset += 4;
    } else if (wire === 2) {
      const [length, after] = readVarint(buffer, offset);
      out.push({ number, bytes: buffer.subarray(after, after + Number(length)) });
      offset = after + Number(length);
    } else {
      throw new Error(`unexpected protobuf wire type ${wire}`);
    }
  }
  return out;
}

const all = (list: Field[], number: number): Field[] => list.filter((field) => field.number === number);
const one = (list: Field[], number: number): Field | undefined => list.find((field) => field.number === number);

/** KeyValue { key = 1; AnyValue value = 2 }, AnyValue { string = 1; bool = 2; int = 3; double = 4 }. */
function protobufAttributes(list: Field[]): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  for (const entry of list) {
    const keyValue = fields(entry.bytes!);
    const value = fields(one(keyValue, 2)?.bytes ?? Buffer.alloc(0));
    const [first] = value;
    const key = one(keyValue, 1)!.bytes!.toString('utf8');
    if (first === undefined) attributes[key] = '';
    else if (first.number === 1) attributes[key] = first.bytes!.toString('utf8');
    else if (first.number === 2) attributes[key] = first.varint === 1n;
    else if (first.number === 3) attributes[key] = Number(BigInt.asIntN(64, first.varint!));
    else attributes[key] = Buffer.from(first.varint!.toString(16).padStart(16, '0'), 'hex').readDoubleBE();
  }
  return attributes;
}

function decodeProtobuf(body: Buffer): ReceivedSpan[] {
  return all(fields(body), 1).flatMap((resourceSpans) => {
    const rs = fields(resourceSpans.bytes!);
    const resource = protobufAttributes(all(fields(one(rs, 1)?.bytes ?? Buffer.alloc(0)), 1));
    return all(rs, 2).flatMap((scopeSpans) =>
      all(fields(scopeSpans.bytes!), 2).map((encoded): ReceivedSpan => {
        const span = fields(encoded.bytes!);
        const text = (number: number): string => one(span, number)?.bytes?.toString('utf8') ?? '';
        const hex = (number: number): string => one(span, number)?.bytes?.toString('hex') ?? '';
        return {
          traceId: hex(1),
          spanId: hex(2),
          traceState: text(3),
          parentSpanId: hex(4),
          name: text(5),
          kind: Number(one(span, 6)?.varint ?? 0n),
          startNs: one(span, 7)?.varint ?? 0n,
          endNs: one(span, 8)?.varint ?? 0n,
          attributes: protobufAttributes(all(span, 9)),
          events: all(span, 11).map((event) => {
            const parts = fields(event.bytes!);
            return {
              name: one(parts, 2)?.bytes?.toString('utf8') ?? '',
              attributes: protobufAttributes(all(parts, 3)),
            };
          }),
          statusCode: Number(one(fields(one(span, 15)?.bytes ?? Buffer.alloc(0)), 3)?.varint ?? 0n),
          resource,
        };
      }),
    );
  });
}

/** The receiver of the calling suite, readable from its hooks and tests. */
export interface OtlpReceiverFixture {
  readonly receiver: OtlpReceiver;
}

/**
 * Registers in the calling `describe` a `before` that starts an OTLP receiver and an `after` that closes it; register
 * it before the gateway that exports to it.
 */
export function useOtlpReceiver(): OtlpReceiverFixture {
  let receiver: OtlpReceiver | undefined;
  before(async () => {
    receiver = await startOtlpReceiver();
  });
  after(async () => {
    await receiver?.close();
    receiver = undefined;
  });
  return {
    get receiver() {
      if (receiver === undefined)
        throw new Error('useOtlpReceiver: the receiver is read outside the suite that started it');
      return receiver;
    },
  };
}

/**
 * Env that exports a gateway's spans to `receiver` as OTLP/JSON, batched every 10 ms, with bounded export and shutdown.
 */
export function exportTo(
  receiver: OtlpReceiver,
  protocol: 'http/json' | 'http/protobuf' = 'http/json',
): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    OTEL_BSP_SCHEDULE_DELAY: '10',
    OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
    SHUTDOWN_GRACE_MS: '2000',
  };
}

/** The parts of a W3C `traceparent` (version 00), or undefined when it is not one. */
export function parseTraceparent(value: unknown): { traceId: string; parentId: string; sampled: boolean } | undefined {
  const match = typeof value === 'string' ? /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value) : null;
  if (match === null) return undefined;
  return { traceId: match[1]!, parentId: match[2]!, sampled: (parseInt(match[3]!, 16) & 1) === 1 };
}
