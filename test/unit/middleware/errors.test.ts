import { expect } from 'chai';
import { createAnswerHeaders } from '../../../src/answer-headers.js';
import { loadConfig } from '../../../src/config/index.js';
import { GatewayError } from '../../../src/errors.js';
import { createCorrelation } from '../../../src/middleware/correlation.js';
import { createErrors } from '../../../src/middleware/errors.js';
import type { GatewayMiddleware } from '../../../src/state.js';
import { send } from '../../helpers/http.js';
import { createMemoryLogger } from '../../helpers/logger.js';
import { serve, type ServedApp } from './serve.js';

const SECRET = 'db password=hunter2 refused';
const ERROR_LEVEL = 50;
const WARN_LEVEL = 40;

const throwing: GatewayMiddleware = async (ctx) => {
  switch (ctx.path) {
    case '/plain':
      throw new Error(SECRET);
    case '/limited':
      throw new GatewayError(429, 'TOO_MANY_REQUESTS', 'Too many requests', { headers: { 'Retry-After': '30' } });
    case '/upstream':
      throw new GatewayError(502, 'SERVICE_UNAVAILABLE', 'Service product-service is unavailable');
    case '/recorded':
      ctx.state.upstream = { service: 'product-service', error: 'ECONNREFUSED' };
      throw new GatewayError(502, 'SERVICE_UNAVAILABLE', 'Service product-service is unavailable');
    case '/koa-400':
      ctx.throw(400, 'Invalid JSON body');
      break;
    case '/koa-500':
      ctx.throw(500, SECRET);
      break;
    default:
      ctx.body = { ok: true };
  }
};

describe('error-envelope middleware', () => {
  const { logger, lines } = createMemoryLogger();
  let app: ServedApp;

  before(async () => {
    const headers = createAnswerHeaders(
      loadConfig({ CORS_ORIGINS: 'https://shop.example', CROSS_ORIGIN_RESOURCE_POLICY: 'same-site' }),
    );
    app = await serve([createCorrelation(), createErrors({ logger, headers }), throwing]);
  });

  after(async () => {
    await app.close();
  });

  function logsOf(correlationId: string): Array<Record<string, unknown>> {
    return lines.filter((line) => line.correlationId === correlationId);
  }

  it('when a request from an allowed origin fails in a layer the CORS layer did not wrap, then the envelope carries the CORS headers', async () => {
    const response = await send({ port: app.port, path: '/limited', headers: { origin: 'https://shop.example' } });
    expect(response.status).to.equal(429);
    expect(response.headers['access-control-allow-origin']).to.equal('https://shop.example');
    expect(response.headers['access-control-allow-credentials']).to.equal('true');
    expect(response.headers['access-control-expose-headers']).to.include('Retry-After');
    expect(response.headers.vary).to.equal('Origin');
    expect(response.headers['cross-origin-resource-policy']).to.equal('same-site');
  });

  it('when a request from another origin fails, then the envelope carries no CORS headers', async () => {
    const response = await send({ port: app.port, path: '/limited', headers: { origin: 'https://evil.example' } });
    expect(response.status).to.equal(429);
    expect(response.headers).not.to.have.property('access-control-allow-origin');
    expect(response.headers).not.to.have.property('access-control-allow-credentials');
  });

  it('when a layer throws a plain Error, then the client gets a 500 JSON envelope with the response correlation id', async () => {
    const response = await send({ port: app.port, path: '/plain' });
    const correlationId = response.headers['x-correlation-id'];
    expect(response.status).to.equal(500);
    expect(response.headers['content-type']).to.match(/^application\/json/);
    expect(correlationId).to.be.a('string').and.not.equal('');
    expect(response.json()).to.deep.equal({
      success: false,
      error: { message: 'Internal server error', code: 'INTERNAL_ERROR', correlationId },
    });
  });

  it('when a layer throws a plain Error, then the body has neither its message nor its stack', async () => {
    const response = await send({ port: app.port, path: '/plain' });
    expect(response.text).not.to.include('hunter2');
    expect(response.text).not.to.include('stack');
    expect(response.text).not.to.match(/\bat .*\.ts:\d+/);
  });

  it('when a layer throws a plain Error, then it is logged at error level with its stack and correlation id', async () => {
    await send({ port: app.port, path: '/plain', headers: { 'x-correlation-id': 'plain-1' } });
    const [entry] = logsOf('plain-1');
    expect(entry?.level).to.equal(ERROR_LEVEL);
    const err = entry?.err as { message?: string; stack?: string } | undefined;
    expect(err?.message).to.equal(SECRET);
    expect(err?.stack)
      .to.include(SECRET)
      .and.match(/\n\s+at /);
  });

  it('when the client sent a sane correlation id, then the envelope carries it', async () => {
    const response = await send({ port: app.port, path: '/plain', headers: { 'x-correlation-id': 'req-42' } });
    expect(response.headers['x-correlation-id']).to.equal('req-42');
    expect(response.json<{ error: { correlationId: string } }>().error.correlationId).to.equal('req-42');
  });

  it('when a GatewayError carries headers, then the response sets them with its status and code', async () => {
    const response = await send({ port: app.port, path: '/limited', headers: { 'x-correlation-id': 'limited-1' } });
    expect(response.status).to.equal(429);
    expect(response.headers['retry-after']).to.equal('30');
    expect(response.json()).to.deep.equal({
      success: false,
      error: { message: 'Too many requests', code: 'TOO_MANY_REQUESTS', correlationId: 'limited-1' },
    });
  });

  it('when a 4xx GatewayError is answered, then nothing is logged as an error', async () => {
    await send({ port: app.port, path: '/limited', headers: { 'x-correlation-id': 'limited-2' } });
    expect(logsOf('limited-2')).to.deep.equal([]);
  });

  it('when a 502 GatewayError is thrown, then its message reaches the client and it is logged as a warning', async () => {
    const response = await send({ port: app.port, path: '/upstream', headers: { 'x-correlation-id': 'upstream-1' } });
    expect(response.status).to.equal(502);
    expect(response.json()).to.deep.equal({
      success: false,
      error: {
        message: 'Service product-service is unavailable',
        code: 'SERVICE_UNAVAILABLE',
        correlationId: 'upstream-1',
      },
    });
    expect(logsOf('upstream-1').map((line) => line.level)).to.deep.equal([WARN_LEVEL]);
  });

  it('when the forwarder recorded the failure of its exchange, then the envelope is written and nothing is logged again', async () => {
    const response = await send({ port: app.port, path: '/recorded', headers: { 'x-correlation-id': 'recorded-1' } });
    expect(response.status).to.equal(502);
    expect(response.json<{ error: { code: string } }>().error.code).to.equal('SERVICE_UNAVAILABLE');
    expect(logsOf('recorded-1')).to.deep.equal([]);
  });

  it('when a layer uses ctx.throw with a 4xx, then the status and message are kept', async () => {
    const response = await send({ port: app.port, path: '/koa-400', headers: { 'x-correlation-id': 'koa-400' } });
    expect(response.status).to.equal(400);
    expect(response.json()).to.deep.equal({
      success: false,
      error: { message: 'Invalid JSON body', code: 'BAD_REQUEST', correlationId: 'koa-400' },
    });
  });

  it('when a layer uses ctx.throw with a 5xx, then it is a generic 500 INTERNAL_ERROR', async () => {
    const response = await send({ port: app.port, path: '/koa-500' });
    expect(response.status).to.equal(500);
    expect(response.text).not.to.include('hunter2');
    expect(response.json<{ error: { code: string } }>().error.code).to.equal('INTERNAL_ERROR');
  });

  it('when nothing throws, then the response is left alone', async () => {
    const response = await send({ port: app.port, path: '/ok' });
    expect(response.status).to.equal(200);
    expect(response.json()).to.deep.equal({ ok: true });
  });
});
