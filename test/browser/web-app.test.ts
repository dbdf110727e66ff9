import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { useBrowser } from '../helpers/browser.js';
import { allServicesAt } from '../helpers/gateway.js';
import { send } from '../helpers/http.js';
import { spawnGateway, type GatewayProcess } from '../helpers/process.js';
import { AUTH_ENV, accessToken } from '../helpers/tokens.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { waitFor } from '../helpers/wait.js';
import { startWebSocketService, type WebSocketService } from '../helpers/websocket.js';

/** The shop's web app: plain browser script using fetch, <img>, WebSocket and EventSource (see the file). */
const SHOP_PAGE = readFileSync(new URL('../fixtures/shop-page.html', import.meta.url), 'utf8');

/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

/** What `shop.request` in the page returns. */
type Answer = { status: number; headers: Record<string, string | null>; body: string } | { error: string };

/** The page's `window.shop` (test/fixtures/shop-page.html), as the test calls it. */
interface ShopWindow {
  shop: {
    received: string[];
    request(
      url: string,
      init: { method?: string; headers?: Record<string, string>; body?: string },
      names: string[],
    ): Promise<Answer>;
    image(url: string): Promise<{ loaded: boolean; width: number }>;
    echo(url: string, message: string): Promise<{ echoed?: string; closed?: number }>;
    listen(url: string): void;
  };
}

/** A successful `shop.request`, or a failed test naming the network error the script saw. */
function answered(answer: Answer): Extract<Answer, { status: number }> {
  if ('error' in answer) throw new Error(`the script saw a network error, not an answer: ${answer.error}`);
  return answer;
}

function envelopeCode(answer: Extract<Answer, { status: number }>): string {
  return (JSON.parse(answer.body) as { error: { code: string } }).error.code;
}

describe('the web app in a real browser (headless Chromium) against the built gateway', function () {
  // Launching Chromium and two gateway processes, and one wait past Chromium's 5 s preflight cache.
  this.timeout(90_000);

  const browser = useBrowser();
  let upstream: TestUpstream;
  let webSockets: WebSocketService;
  let pageServer: TestUpstream;
  /** The gateway under test: CORS_MAX_AGE_S at its default, 600. */
  let gateway: GatewayProcess;
  /**
   * The same gateway with CORS_MAX_AGE_S=5: what Chromium does without Access-Control-Max-Age, as the gateway answered
   * before.
   */
  let shortCache: GatewayProcess;
  let gatewayUrl: string;
  let page: Page;
  /** The held response of the event stream: the test writes each event. */
  let eventStream: http.ServerResponse | undefined;

  before(async () => {
    upstream = await startUpstream((request, response) => {
      const route = `${request.method} ${request.url}`;
      if (route === 'POST /auth/login') {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ accessToken: accessToken() }));
      } else if (route === 'GET /products/1/image') {
        // The product service serves its images for the shop's pages, on another origin.
        response.writeHead(200, { 'content-type': 'image/png', 'cross-origin-resource-policy': 'cross-origin' });
        response.end(PNG);
      } else if (route === 'GET /products/2/image') {
        response.writeHead(200, { 'content-type': 'image/png' });
        response.end(PNG);
      } else if (route === 'GET /products/app') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end('<!doctype html><title>shop on the gateway origin</title>');
      } else if (route === 'POST /products') {
        response.writeHead(201, { 'content-type': 'application/json', location: '/api/v1/products/7' });
        response.end('{"id":7}');
      } else if (route === 'GET /products/events') {
        response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        response.write(': open\n\n');
        eventStream = response;
      } else {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ ok: true }));
      }
    });
    webSockets = await startWebSocketService();
    pageServer = await startUpstream((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(SHOP_PAGE);
    });
    const pageOrigin = `http://127.0.0.1:${pageServer.port}`;
    const env = {
      ...allServicesAt(upstream.url),
      INVENTORY_SERVICE_URL: webSockets.url,
      ...AUTH_ENV,
      // A present token must still be valid; without one a request passes, as an <img> sends none.
      REQUIRE_AUTH: 'false',
      CORS_ORIGINS: pageOrigin,
      CORS_EXPOSE_HEADERS: 'Location',
      RATE_LIMIT_AUTH_MAX: '3',
    };
    [gateway, shortCache] = await Promise.all([spawnGateway(env), spawnGateway({ ...env, CORS_MAX_AGE_S: '5' })]);
    gatewayUrl = `http://127.0.0.1:${gateway.port}`;
    page = await browser.context.newPage();
    await page.goto(`${pageOrigin}/`);
  });

  after(async () => {
    eventStream?.destroy();
    await Promise.all([gateway?.stop(), shortCache?.stop()]);
    await Promise.all([upstream?.close(), webSockets?.close(), pageServer?.close()]);
  });

  function request(
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string },
    names: string[] = [],
  ): Promise<Answer> {
    return page.evaluate(([url, init, names]) => (globalThis as unknown as ShopWindow).shop.request(url, init, names), [
      url,
      init,
      names,
    ] as const);
  }

  /**
   * Preflights `target` answered for paths under `prefix`, counted from its request log once every earlier line is in.
   */
  async function preflightsAnswered(target: GatewayProcess, prefix: string): Promise<number> {
    const sentinel = `count-${randomUUID()}`;
    await send({ port: target.port, path: '/health', headers: { 'x-correlation-id': sentinel } });
    await waitFor(() => target.logs.some((line) => line.correlationId === sentinel));
    return target.logs.filter(
      (line) =>
        line.msg === 'request completed' &&
        line.method === 'OPTIONS' &&
        line.status === 204 &&
        String(line.path).startsWith(prefix),
    ).length;
  }

  it('when the page logs in with a JSON body, then the gateway answers the preflight and the script reads the token', async () => {
    const answer = answered(
      await request(`${gatewayUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"email":"ada@example.com","password":"x"}',
      }),
    );
    expect(answer.status).to.equal(200);
    expect((JSON.parse(answer.body) as { accessToken: string }).accessToken.split('.')).to.have.length(3);
    expect(await preflightsAnswered(gateway, '/api/v1/auth/login')).to.equal(1);
  });

  it('when the page makes a bearer call, then the script reads x-correlation-id and the RateLimit-* headers', async () => {
    const names = ['x-correlation-id', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'];
    const answer = answered(
      await request(
        `${gatewayUrl}/api/v1/products/1`,
        { headers: { authorization: `Bearer ${accessToken()}` } },
        names,
      ),
    );
    expect(answer.status).to.equal(200);
    expect(answer.headers['x-correlation-id']).to.match(/^[0-9a-f-]{36}$/);
    for (const name of names.slice(1)) expect(answer.headers[name], name).to.match(/^\d+$/);
  });

  it('when the token has expired, then the script reads the 401, its envelope and WWW-Authenticate', async () => {
    const answer = answered(
      await request(
        `${gatewayUrl}/api/v1/products/1`,
        { headers: { authorization: `Bearer ${accessToken({ exp: 1 })}` } },
        ['www-authenticate'],
      ),
    );
    expect([answer.status, envelopeCode(answer)]).to.deep.equal([401, 'UNAUTHORIZED']);
    expect(answer.headers['www-authenticate']).to.match(/^Bearer/);
  });

  it('when the page registers more often than RATE_LIMIT_AUTH_MAX allows, then the script reads the 429, its envelope and Retry-After', async () => {
    const register = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' };
    const statuses: number[] = [];
    let last: Answer | undefined;
    for (let attempt = 0; attempt < 4; attempt++) {
      last = await request(`${gatewayUrl}/api/v1/auth/register`, register, ['retry-after']);
      statuses.push(answered(last).status);
    }
    expect(statuses).to.deep.equal([200, 200, 200, 429]);
    const refused = answered(last!);
    expect(envelopeCode(refused)).to.equal('TOO_MANY_REQUESTS');
    expect(refused.headers['retry-after']).to.match(/^\d+$/);
  });

  it("regression: a service's CORP cross-origin was replaced; when the page shows a product image in <img>, then it loads, and one whose service sets no CORP is blocked by the gateway's same-origin", async () => {
    const shown = (url: string) => page.evaluate((url) => (globalThis as unknown as ShopWindow).shop.image(url), url);
    expect(await shown(`${gatewayUrl}/api/v1/products/1/image`)).to.deep.equal({ loaded: true, width: 1 });
    expect(await shown(`${gatewayUrl}/api/v1/products/2/image`)).to.deep.equal({ loaded: false, width: 0 });
  });

  it('when the page creates a product, then the script reads the Location that CORS_EXPOSE_HEADERS exposes', async () => {
    const answer = answered(
      // Creating a product is ADMIN-only in the gateway file.
      await request(
        `${gatewayUrl}/api/v1/products`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken({ role: 'ADMIN' })}` },
          body: '{}',
        },
        ['location'],
      ),
    );
    expect([answer.status, answer.headers.location]).to.deep.equal([201, '/api/v1/products/7']);
  });

  it("regression: a page on the gateway's own origin got 403 on its POSTs; when it POSTs, then the service answers", async () => {
    const own = await browser.context.newPage();
    try {
      await own.goto(`${gatewayUrl}/api/v1/products/app`);
      const status = await own.evaluate(() =>
        fetch('/api/v1/products', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"name":"tea"}',
        }).then((response) => response.status),
      );
      expect(status).to.equal(201);
      const posted = upstream.seen.filter((seen) => seen.method === 'POST' && seen.url === '/products').at(-1);
      expect(posted?.headers.origin).to.equal(gatewayUrl);
      expect(posted?.body.toString()).to.equal('{"name":"tea"}');
    } finally {
      await own.close();
    }
  });

  it('when the page calls ten URLs with a bearer token three times, then Chromium reuses each preflight within CORS_MAX_AGE_S, past the 5 s it keeps one without', async () => {
    const token = accessToken();
    const tenCalls = (target: GatewayProcess) =>
      Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          request(`http://127.0.0.1:${target.port}/api/v1/products/cache-${i}`, {
            headers: { authorization: `Bearer ${token}` },
          }).then(answered),
        ),
      );
    const counts = { 600: [] as number[], 5: [] as number[] };
    const round = async (): Promise<void> => {
      await Promise.all([tenCalls(gateway), tenCalls(shortCache)]);
      counts[600].push(await preflightsAnswered(gateway, '/api/v1/products/cache-'));
      counts[5].push(await preflightsAnswered(shortCache, '/api/v1/products/cache-'));
    };
    await round();
    const firstDone = Date.now();
    await round();
    // Chromium keeps a preflight without Access-Control-Max-Age for 5 s (its kDefaultTimeout).
    await delay(Math.max(0, firstDone + 6000 - Date.now()));
    await round();
    // Cumulative: the preflight cache is per URL, so the first ten calls always cost ten.
    expect({ maxAge600: counts[600], maxAge5: counts[5] }).to.deep.equal({
      maxAge600: [10, 10, 10],
      maxAge5: [10, 10, 20],
    });
  });

  it('when the page opens a WebSocket with access_token, then the tunnel echoes and the service sees the user, not the token', async () => {
    const token = accessToken();
    const url = `ws://127.0.0.1:${gateway.port}/api/v1/inventory/live?access_token=${token}`;
    const result = await page.evaluate(([url]) => (globalThis as unknown as ShopWindow).shop.echo(url, 'hello'), [
      url,
    ] as const);
    expect(result).to.deep.equal({ echoed: 'hello' });
    const handshake = webSockets.seen.at(-1);
    expect(handshake?.headers['x-user-id']).to.equal('42');
    expect(handshake?.url).to.equal('/inventory/live');
  });

  it('when the page listens to an event stream, then each event reaches the script before the service writes the next', async () => {
    await page.evaluate(
      (url) => (globalThis as unknown as ShopWindow).shop.listen(url),
      `${gatewayUrl}/api/v1/products/events`,
    );
    await waitFor(() => eventStream !== undefined, 10_000);
    for (const [index, data] of ['one', 'two', 'three'].entries()) {
      eventStream!.write(`data: ${data}\n\n`);
      await page.waitForFunction((count) => (globalThis as unknown as ShopWindow).shop.received.length > count, index, {
        timeout: 10_000,
      });
      expect(await page.evaluate(() => (globalThis as unknown as ShopWindow).shop.received)).to.deep.equal(
        ['one', 'two', 'three'].slice(0, index + 1),
      );
    }
  });

  it('regression: oversized headers answered 431 without CORS headers, "Failed to fetch"; when the page sends 20 KB of headers, then the script reads the 431 and its envelope', async () => {
    const answer = answered(
      await request(`${gatewayUrl}/api/v1/products/1`, { headers: { 'x-filters': 'a'.repeat(20_000) } }, [
        'x-correlation-id',
      ]),
    );
    expect([answer.status, envelopeCode(answer)]).to.deep.equal([431, 'REQUEST_HEADER_FIELDS_TOO_LARGE']);
    expect(answer.headers['x-correlation-id']).to.match(/^[0-9a-f-]{36}$/);
  });
});
