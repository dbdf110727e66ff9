import http from 'node:http';
import { expect } from 'chai';
import fc from 'fast-check';
import { loadConfig } from '../../src/config/index.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { send } from '../helpers/http.js';
import { printSummary } from '../helpers/summary.js';
import { accessClaims, accessToken, AUTH_ENV, signHs256, unsignedToken } from '../helpers/tokens.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

const REQUESTS = 10_000;
const CONCURRENCY = 20;
/** Fixed so a failure can be replayed; FUZZ_SEED=… tries another sequence. */
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_127);
/** The routes and services of the default gateway file. */
const { routes: ROUTES, services: SERVICES } = loadConfig({});

/** One generated request. */
interface FuzzRequest {
  readonly id: number;
  readonly method: string;
  /** The target as the client writes it; raw non-ASCII is sent as UTF-8 bytes. */
  readonly target: string;
  readonly headers: Record<string, string>;
  /** Whether the request carries its own unique correlation id, so its upstream request can be matched. */
  readonly marked: boolean;
}

const PIECES = [
  '.',
  '..',
  '...',
  '%2e',
  '%2E',
  '.%2e',
  '%2e%2E',
  '%252e',
  '/',
  '//',
  '%2f',
  '%2F',
  '\\',
  '%5c',
  '%5C',
  ';',
  ';jsessionid=1',
  '..;',
  '%3b',
  '%00',
  '%',
  '%%',
  '%zz',
  '%ff',
  '%c3%a9',
  '%E6%97%A5',
  'é',
  '日本',
  '🙂',
  'a',
  'b',
  '1',
  '42',
  '-',
  '_',
  '~',
  '@',
  ':',
  '!',
  '$',
  '&',
  "'",
  '(',
  ')',
  '*',
  '+',
  ',',
  '=',
  '"',
  '<',
  '>',
  '{',
  '}',
  '|',
  '^',
  '`',
  'login',
  'register',
  'refresh-token',
  'admin',
  'actuator',
  'health',
];
const STARTS = [
  ...ROUTES.map((route) => route.prefix),
  ...ROUTES.flatMap((route) => route.publicPaths),
  '/health',
  '/health/ready',
  '/health/services',
  '/info',
  '/api',
  '/api/v1',
  '/',
  '',
  '/API/V1/PRODUCTS',
  '/api/v1/productsX',
  '/api//v1/products',
];

const piece = fc.constantFrom(...PIECES);
const target = fc
  .tuple(
    fc.constantFrom(...STARTS),
    fc.array(
      fc.array(piece, { maxLength: 3 }).map((parts) => parts.join('')),
      { maxLength: 5 },
    ),
    fc.option(
      fc.array(piece, { maxLength: 4 }).map((parts) => `?${parts.join('')}`),
      { nil: '' },
    ),
  )
  .map(([start, segments, query]) => start + segments.map((segment) => `/${segment}`).join('') + query)
  .filter((text) => text.startsWith('/') || text.startsWith('?'))
  .map((text) => (text.startsWith('/') ? text : `/${text}`));

const visible = fc.stringMatching(/^[\x21-\x7e]{0,40}$/);
const token = fc.constantFrom(
  () => accessToken(),
  () => accessToken({ exp: Math.floor(Date.now() / 1000) - 60 }),
  () => accessToken({ tokenType: 'refresh' }),
  () => accessToken({ userId: 'x'.repeat(300), role: 'ADMIN' }),
  () => signHs256(accessClaims(), 'another-secret-that-is-long-enough-to-be-a-key'),
  () => unsignedToken(accessClaims()),
  () => 'not.a.token',
  () => '',
);
const authorization = fc.oneof(
  token.map((make) => `Bearer ${make()}`),
  fc.constantFrom('Basic YWRhOnB3', 'Bearer', 'bearer  x', 'Token abc'),
  visible.map((text) => `Bearer ${text}`),
);
/** Headers a hostile client might send: forged user context, hop-by-hop tricks, odd ids and origins. */
const extraHeaders = fc.dictionary(
  fc.constantFrom(
    'x-correlation-id',
    'x-user-id',
    'x-user-role',
    'x-forwarded-for',
    'x-forwarded-host',
    'forwarded',
    'connection',
    'te',
    'upgrade',
    'proxy-authorization',
    'origin',
    'cookie',
    'accept',
    'content-type',
    'x-request-id',
    'x-custom',
  ),
  fc.oneof(
    visible,
    fc.constantFrom(
      'close',
      'keep-alive, x-user-id',
      'x-forwarded-for, authorization',
      'http://localhost:3000',
      'https://evil.example',
      'trailers',
      'websocket',
      'a\tb',
      'caf\xe9',
    ),
  ),
  { maxKeys: 5 },
);

const request = fc.record({
  method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
  target,
  authorization: fc.option(authorization, { nil: undefined }),
  headers: extraHeaders,
  marked: fc.integer({ min: 0, max: 4 }).map((draw) => draw > 0),
});

describe('black-box fuzz: 10 000 random requests against a running gateway with REQUIRE_AUTH=true', function () {
  this.timeout(120_000);
  const upstreams = new Map<string, TestUpstream>();
  /** Every target each upstream saw, with the correlation id it came with. */
  const seenBy = new Map<string, Array<{ url: string; correlationId: string }>>();
  let gateway: RunningGateway;

  before(async () => {
    const env: Record<string, string> = { ...AUTH_ENV, RATE_LIMIT_MAX: '1000000', RATE_LIMIT_AUTH_MAX: '1000000' };
    // One upstream per service, so each route's requests can be told apart by the upstream path they reach.
    for (const service of SERVICES) {
      const upstream = await startUpstream((request, response) => {
        const url = request.url ?? '';
        const own = ROUTES.filter((candidate) => candidate.service === service);
        // A probe of the health path is counted with the service's first route (checked below).
        const route =
          url === service.healthPath ? own[0] : own.find((candidate) => url.startsWith(candidate.upstreamPath));
        const key = route?.upstreamPath ?? `${service.name} outside its routes`;
        seenBy.set(key, [
          ...(seenBy.get(key) ?? []),
          { url, correlationId: String(request.headers['x-correlation-id']) },
        ]);
        response.setHeader('content-type', 'application/json');
        response.end('{"upstream":true}');
      });
      upstreams.set(service.name, upstream);
      env[`${service.env}_SERVICE_URL`] = upstream.url;
    }
    gateway = await startGateway(env);
  });

  after(async () => {
    await gateway.close();
    for (const upstream of upstreams.values()) await upstream.close();
  });

  it('then nothing crashes, the gateway makes no 5xx, /health stays 200, and no upstream sees a path outside its prefix', async () => {
    const generated: FuzzRequest[] = fc.sample(request, { numRuns: REQUESTS, seed: SEED }).map((drawn, id) => {
      const headers: Record<string, string> = { ...drawn.headers };
      if (drawn.authorization !== undefined) headers.authorization = drawn.authorization;
      if (drawn.marked) headers['x-correlation-id'] = `fuzz-${id}`;
      return { id, method: drawn.method, target: drawn.target, headers, marked: drawn.marked };
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const statuses = new Map<number | string, number>();
    const gatewayErrors: Array<{ request: FuzzRequest; status: number | string; body: string }> = [];
    const answeredWith = new Map<string, FuzzRequest>();

    async function fire(fuzz: FuzzRequest): Promise<void> {
      const body =
        fuzz.method === 'POST' || fuzz.method === 'PUT' || fuzz.method === 'PATCH' ? '{"fuzz":true}' : undefined;
      const outcome = await new Promise<{ status: number | string; body: string; correlationId: string }>((resolve) => {
        let client: http.ClientRequest;
        try {
          client = http.request({
            host: '127.0.0.1',
            port: gateway.port,
            method: fuzz.method,
            // Raw non-ASCII goes out as its UTF-8 bytes.
            path: Buffer.from(fuzz.target, 'utf8').toString('latin1'),
            headers: fuzz.headers,
            agent,
          });
        } catch (error) {
          resolve({ status: `client refused: ${(error as NodeJS.ErrnoException).code}`, body: '', correlationId: '' });
          return;
        }
        client.setTimeout(5000, () => client.destroy(new Error('timeout')));
        client.on('response', (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              body: text,
              correlationId: String(response.headers['x-correlation-id']),
            }),
          );
          response.on('error', (error: NodeJS.ErrnoException) =>
            resolve({ status: error.code ?? error.message, body: text, correlationId: '' }),
          );
        });
        client.on('error', (error: NodeJS.ErrnoException) =>
          resolve({ status: error.code ?? error.message, body: '', correlationId: '' }),
        );
        client.end(body);
      });
      statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
      const clientSide = typeof outcome.status === 'string' && outcome.status.startsWith('client refused');
      if (!clientSide && (typeof outcome.status === 'string' || outcome.status >= 500)) {
        gatewayErrors.push({ request: fuzz, status: outcome.status, body: outcome.body });
      }
      if (fuzz.marked && typeof outcome.status === 'number') answeredWith.set(outcome.correlationId, fuzz);
    }

    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < generated.length) await fire(generated[next++]!);
      }),
    );
    agent.destroy();
    const summary = [...statuses]
      .sort(([a], [b]) => String(a).localeCompare(String(b)))
      .map(([status, count]) => `${status}: ${count}`)
      .join(', ');
    const forwarded = [...seenBy.values()].reduce((sum, seen) => sum + seen.length, 0);
    printSummary(`seed ${SEED}; statuses ${summary}; ${forwarded} reached an upstream`);

    expect(gatewayErrors.slice(0, 5), `${gatewayErrors.length} requests answered 5xx or not at all`).to.deep.equal([]);
    expect(
      gateway.logs.filter((line) => line.msg === 'request failed'),
      'INTERNAL_ERROR logged',
    ).to.deep.equal([]);
    expect((await send({ port: gateway.port, path: '/health' })).status).to.equal(200);
    // The run is not vacuous: requests were forwarded, refused as unsafe, and refused without a valid token.
    expect(forwarded).to.be.above(500);
    expect(statuses.get(400) ?? 0).to.be.above(500);
    expect(statuses.get(401) ?? 0).to.be.above(500);

    let matched = 0;
    expect([...seenBy.keys()].filter((key) => key.endsWith('outside its routes'))).to.deep.equal([]);
    for (const route of ROUTES) {
      const upstreamPath = route.upstreamPath;
      expect(seenBy.get(upstreamPath)!.length, `requests the ${upstreamPath} upstream saw`).to.be.above(10);
      for (const { url, correlationId } of seenBy.get(upstreamPath)!) {
        // GET /health/services probes each service's health path itself, without a correlation id.
        if (correlationId === 'undefined') {
          expect(url, `${upstreamPath} upstream probed at ${url}`).to.equal(route.service.healthPath);
          continue;
        }
        const path = url.split('?')[0]!;
        expect(
          path === upstreamPath || path.startsWith(`${upstreamPath}/`),
          `${upstreamPath} upstream saw ${url}`,
        ).to.equal(true);
        const segments = path.split('/').map((segment) => segment.replace(/%2e/gi, '.').split(';')[0]);
        expect(
          segments.filter((segment) => segment === '.' || segment === '..'),
          `${upstreamPath} upstream saw ${url}`,
        ).to.deep.equal([]);
        expect(path, `${upstreamPath} upstream saw ${url}`).not.to.match(/%2f|%5c|\\/i);
        // A marked request reached its route's upstream with the rest of its target byte for byte.
        const fuzz = answeredWith.get(correlationId);
        if (fuzz !== undefined) {
          const sent = Buffer.from(fuzz.target, 'utf8').toString('latin1');
          expect(url).to.equal(upstreamPath + sent.slice(route.prefix.length));
          matched += 1;
        }
      }
    }
    expect(matched, 'marked requests matched to what their upstream saw').to.be.above(200);
  });
});
