import { expect } from 'chai';
import { GatewayError, toEnvelope, toGatewayError } from '../../src/errors.js';

/** An error shaped like the ones Koa's `ctx.throw` and http-errors make. */
function httpError(status: number, message: string, expose: boolean, field: 'status' | 'statusCode' = 'status'): Error {
  return Object.assign(new Error(message), { [field]: status, expose });
}

describe('errors', () => {
  describe('toGatewayError', () => {
    it('when given a GatewayError, then it is returned as it is', () => {
      const error = new GatewayError(429, 'TOO_MANY_REQUESTS', 'Too many requests', {
        headers: { 'Retry-After': '3' },
      });
      expect(toGatewayError(error)).to.equal(error);
    });

    const clientErrors: Array<[status: number, code: string]> = [
      [400, 'BAD_REQUEST'],
      [401, 'UNAUTHORIZED'],
      [403, 'FORBIDDEN'],
      [404, 'NOT_FOUND'],
      [405, 'METHOD_NOT_ALLOWED'],
      [413, 'PAYLOAD_TOO_LARGE'],
      [429, 'TOO_MANY_REQUESTS'],
      [431, 'REQUEST_HEADER_FIELDS_TOO_LARGE'],
    ];

    for (const [status, code] of clientErrors) {
      it(`when an exposed http error has status ${status}, then it keeps the status and message with code ${code}`, () => {
        const mapped = toGatewayError(httpError(status, 'Invalid JSON body', true));
        expect([mapped.status, mapped.code, mapped.message]).to.deep.equal([status, code, 'Invalid JSON body']);
      });
    }

    it('when an http error has statusCode instead of status, then its status is kept', () => {
      const mapped = toGatewayError(httpError(413, 'request entity too large', true, 'statusCode'));
      expect([mapped.status, mapped.code]).to.deep.equal([413, 'PAYLOAD_TOO_LARGE']);
    });

    it('when a 4xx http error is not exposed, then its message is replaced by the default', () => {
      const mapped = toGatewayError(httpError(401, 'secret mismatch for key 7', false));
      expect([mapped.status, mapped.code, mapped.message]).to.deep.equal([401, 'UNAUTHORIZED', 'Unauthorized']);
    });

    it('when a 4xx status has no code of its own, then it keeps the status with BAD_REQUEST', () => {
      const mapped = toGatewayError(httpError(409, 'Conflict', true));
      expect([mapped.status, mapped.code]).to.deep.equal([409, 'BAD_REQUEST']);
    });

    const internals: Array<[label: string, error: unknown]> = [
      ['an exposed 5xx http error', httpError(503, 'db password=hunter2 refused', true)],
      ['a plain Error', new Error('db password=hunter2 refused')],
      ['a 3xx status', httpError(302, 'db password=hunter2 refused', true)],
      ['a string', 'db password=hunter2 refused'],
      ['undefined', undefined],
    ];

    for (const [label, error] of internals) {
      it(`when given ${label}, then it is 500 INTERNAL_ERROR with a generic message`, () => {
        const mapped = toGatewayError(error);
        expect([mapped.status, mapped.code, mapped.message]).to.deep.equal([
          500,
          'INTERNAL_ERROR',
          'Internal server error',
        ]);
        expect(mapped.cause).to.equal(error);
      });
    }
  });

  describe('toEnvelope', () => {
    it('when a GatewayError is enveloped, then the body is success false with message, code and correlation id', () => {
      const envelope = toEnvelope(new GatewayError(404, 'NOT_FOUND', 'Route not found'), 'corr-1');
      expect(envelope).to.deep.equal({
        success: false,
        error: { message: 'Route not found', code: 'NOT_FOUND', correlationId: 'corr-1' },
      });
    });

    it('when a plain Error is enveloped, then neither its message nor its stack appears', () => {
      const error = new Error('db password=hunter2 refused');
      const body = JSON.stringify(toEnvelope(toGatewayError(error), 'corr-1'));
      expect(body).not.to.include('hunter2');
      expect(body).not.to.include('stack');
      expect(body).not.to.include(error.stack!.split('\n')[1]!.trim());
    });
  });
});
