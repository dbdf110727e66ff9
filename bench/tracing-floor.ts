// What the OpenTelemetry SDK itself costs for the spans the gateway makes per request, with no gateway around it:
// a SERVER span and a CLIENT child carrying the gateway's attributes, ended in order, on a provider built as
// src/tracing/tracing.ts builds it (BatchSpanProcessor with the SDK's default bounds, always-on sampler).
//   none    the loop only;
//   spans   spans recorded and batched, handed to an exporter that drops them;
//   export  the same, exported with the OTLP/HTTP protobuf exporter to a receiver in a child process on loopback.
// Count instructions for 0 and for N requests and divide the difference by N (docs/benchmarks.md, "Tracing"):
//   valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file=/tmp/floor.out \
//     node --import tsx bench/tracing-floor.ts export 20000
import { fork } from 'node:child_process';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';

const MODES = ['none', 'spans', 'export'] as const;
type Mode = (typeof MODES)[number];

/** Requests made between two turns of the event loop, as a busy server's would be: the batch processor exports. */
const STEP = 50;

const mode = process.argv[2] as Mode;
const requests = Number(process.argv[3]);
if (!MODES.includes(mode) || !Number.isInteger(requests) || requests < 0) {
  console.error('usage: node --import tsx bench/tracing-floor.ts none|spans|export <requests>');
  process.exit(2);
}

/** An exporter that takes every batch and keeps nothing. */
const dropping: SpanExporter = {
  export(_spans: ReadableSpan[], done: (result: ExportResult) => void) {
    done({ code: ExportResultCode.SUCCESS });
  },
  shutdown: () => Promise.resolve(),
};

/** A receiver in a child process (its work is not counted here): answers 200 to every export. */
async function startReceiver(): Promise<{ url: string; stop(): void }> {
  const child = fork(
    '-e',
    [
      `const s = require('node:http').createServer((q, r) => { q.resume(); q.on('end', () => r.end()); });
       s.listen(0, '127.0.0.1', () => process.send(s.address().port));`,
    ],
    { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  );
  const port = await new Promise<number>((resolve) => child.once('message', (message) => resolve(Number(message))));
  return { url: `http://127.0.0.1:${port}/v1/traces`, stop: () => child.kill() };
}

const receiver = mode === 'export' ? await startReceiver() : undefined;
const exporter = receiver !== undefined ? new OTLPTraceExporter({ url: receiver.url }) : dropping;
const provider = new BasicTracerProvider({
  sampler: new AlwaysOnSampler(),
  resource: defaultResource().merge(resourceFromAttributes({ 'service.name': 'api-gateway' })),
  spanProcessors: mode === 'none' ? [] : [new BatchSpanProcessor(exporter)],
});
const tracer = provider.getTracer('api-gateway');

/** The spans of one proxied GET, with the attributes the gateway's layers give them (src/tracing/). */
function request(i: number): void {
  const server = tracer.startSpan('GET /api/v1/products', { kind: SpanKind.SERVER });
  server.setAttributes({
    'http.request.method': 'GET',
    'url.path': `/api/v1/products/${i}`,
    'url.scheme': 'http',
    'client.address': '127.0.0.1',
    'gateway.correlation_id': `4f1c2a9e-${i}`,
    'http.route': '/api/v1/products',
  });
  const client = tracer.startSpan(
    'GET product-service',
    { kind: SpanKind.CLIENT },
    trace.setSpan(ROOT_CONTEXT, server),
  );
  client.setAttributes({
    'http.request.method': 'GET',
    'server.address': '127.0.0.2',
    'server.port': 8083,
    'url.full': `http://127.0.0.2:8083/products/${i}`,
    'server.service.name': 'product-service',
    'peer.service': 'product-service',
  });
  client.setAttribute('http.response.status_code', 200);
  client.end();
  server.setAttribute('http.response.status_code', 200);
  server.setAttribute('user.id', '42');
  server.end();
}

for (let i = 0; i < requests; i += STEP) {
  if (mode !== 'none') for (let j = i; j < Math.min(requests, i + STEP); j += 1) request(j);
  await new Promise((resolve) => setImmediate(resolve));
}
await provider.shutdown();
receiver?.stop();
