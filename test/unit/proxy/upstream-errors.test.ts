import { expect } from 'chai';
import { GatewayError } from '../../../src/errors.js';
import { mapUpstreamError } from '../../../src/proxy/upstream-errors.js';

function transportError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:8083`), { code });
}

describe('mapUpstreamError', () => {
  const table: Array<[code: string, expected: 'SERVICE_UNAVAILABLE' | 'SERVICE_TIMEOUT']> = [
    ['ETIMEDOUT', 'SERVICE_TIMEOUT'],
    ['ESOCKETTIMEDOUT', 'SERVICE_TIMEOUT'],
    ['ECONNREFUSED', 'SERVICE_UNAVAILABLE'],
    ['ECONNRESET', 'SERVICE_UNAVAILABLE'],
    ['ECONNABORTED', 'SERVICE_UNAVAILABLE'],
    ['EPIPE', 'SERVICE_UNAVAILABLE'],
    ['ENOTFOUND', 'SERVICE_UNAVAILABLE'],
    ['EAI_AGAIN', 'SERVICE_UNAVAILABLE'],
    ['EHOSTUNREACH', 'SERVICE_UNAVAILABLE'],
    ['ENETUNREACH', 'SERVICE_UNAVAILABLE'],
    ['EADDRNOTAVAIL', 'SERVICE_UNAVAILABLE'],
  ];

  const MESSAGES = {
    SERVICE_UNAVAILABLE: 'Service product-service is unavailable',
    SERVICE_TIMEOUT: 'Service product-service timed out',
  };

  for (const [code, expected] of table) {
    it(`when the transport fails with ${code}, then it is 502 ${expected}`, () => {
      const error = transportError(code);
      const mapped = mapUpstreamError(error, 'product-service');
      expect(mapped).to.be.instanceOf(GatewayError);
      expect([mapped.status, mapped.code, mapped.message]).to.deep.equal([502, expected, MESSAGES[expected]]);
      expect(mapped.cause).to.equal(error);
    });
  }

  it('when the error is named TimeoutError without a known code, then it is 502 SERVICE_TIMEOUT', () => {
    const mapped = mapUpstreamError(Object.assign(new Error('Timeout awaiting response'), { name: 'TimeoutError' }), 'product-service');
    expect([mapped.status, mapped.code, mapped.message]).to.deep.equal([502, 'SERVICE_TIMEOUT', MESSAGES.SERVICE_TIMEOUT]);
  });

  for (const [label, error] of [
    ['an error without a code', new Error('boom')],
    ['an unknown code', transportError('EWHATEVER')],
    ['null', null],
    ['a string', 'socket hang up'],
  ] as const) {
    it(`when the error is ${label}, then it is 502 SERVICE_UNAVAILABLE`, () => {
      const mapped = mapUpstreamError(error, 'product-service');
      expect([mapped.status, mapped.code, mapped.message]).to.deep.equal([502, 'SERVICE_UNAVAILABLE', MESSAGES.SERVICE_UNAVAILABLE]);
    });
  }

  it('when the service is another one, then the message names that service', () => {
    expect(mapUpstreamError(transportError('ECONNREFUSED'), 'inventory-service').message).to.equal('Service inventory-service is unavailable');
  });

  it('when the error is a GatewayError, then it is returned as it is', () => {
    const own = new GatewayError(413, 'PAYLOAD_TOO_LARGE', 'Request body exceeds 10 bytes');
    expect(mapUpstreamError(own, 'product-service')).to.equal(own);
  });

  it('when the error wraps a GatewayError as its cause, then the GatewayError is returned', () => {
    const own = new GatewayError(413, 'PAYLOAD_TOO_LARGE', 'Request body exceeds 10 bytes');
    const wrapped = Object.assign(new Error('upload failed', { cause: own }), { code: 'ERR_BODY' });
    expect(mapUpstreamError(wrapped, 'product-service')).to.equal(own);
  });
});
