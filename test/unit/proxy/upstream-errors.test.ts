import dns from 'node:dns';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { constants } from 'node:os';
import { expect } from 'chai';
import { GatewayError } from '../../../src/errors.js';
import { loadConfig } from '../../../src/config/index.js';
import { mapUpstreamError } from '../../../src/proxy/upstream-errors.js';
import { createServiceClient } from '../../../src/upstream/http-attempt.js';
import { closedPort } from '../../helpers/upstream.js';

/*
 * The cases come from categories, not from a copy of the source's table: a wrong entry copied
 * into both would pass. Running out of time is SERVICE_TIMEOUT; every other way of not reaching
 * the service (refused, reset, aborted, unreachable, unresolvable …) is SERVICE_UNAVAILABLE.
 */

/** "The exchange ran out of time": Node's (and got's) ETIMEDOUT, and ESOCKETTIMEDOUT of older HTTP clients. */
const TIMED_OUT = ['ETIMEDOUT', 'ESOCKETTIMEDOUT'];

/** Every other error number Node knows, every code of its resolver (dns.NOTFOUND …), and getaddrinfo's EAI_AGAIN. */
const NOT_REACHED: string[] = [
  ...Object.keys(constants.errno),
  ...Object.values<unknown>(dns).filter((value): value is string => typeof value === 'string'),
  'EAI_AGAIN',
].filter((code) => !TIMED_OUT.includes(code));

const MESSAGES = {
  SERVICE_UNAVAILABLE: 'Service product-service is unavailable',
  SERVICE_TIMEOUT: 'Service product-service timed out',
};

function transportError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:8083`), { code });
}

describe('mapUpstreamError', () => {
  for (const code of TIMED_OUT) {
    it(`when the transport fails with ${code}, then it is 502 SERVICE_TIMEOUT`, () => {
      const error = transportError(code);
      const mapped = mapUpstreamError(error, 'product-service');
      expect(mapped).to.be.instanceOf(GatewayError);
      expect([mapped.status, mapped.code, mapped.message]).to.deep.equal([
        502,
        'SERVICE_TIMEOUT',
        MESSAGES.SERVICE_TIMEOUT,
      ]);
      expect(mapped.cause).to.equal(error);
    });
  }

  it(`when the transport fails with any of ${NOT_REACHED.length} other codes (ECONNREFUSED, ECONNRESET, ENOTFOUND, EHOSTUNREACH …), then each is 502 SERVICE_UNAVAILABLE`, () => {
    expect(NOT_REACHED).to.include.members([
      'ECONNREFUSED',
      'ECONNRESET',
      'ECONNABORTED',
      'EPIPE',
      'ENOTFOUND',
      'EAI_AGAIN',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'EADDRNOTAVAIL',
    ]);
    const wrong = NOT_REACHED.map((code) => [code, mapUpstreamError(transportError(code), 'product-service')] as const)
      .filter(
        ([, mapped]) =>
          mapped.status !== 502 ||
          mapped.code !== 'SERVICE_UNAVAILABLE' ||
          mapped.message !== MESSAGES.SERVICE_UNAVAILABLE,
      )
      .map(([code, mapped]) => `${code}: ${mapped.status} ${mapped.code}`);
    expect(wrong).to.deep.equal([]);
  });

  it('when the error is named TimeoutError without a known code, then it is 502 SERVICE_TIMEOUT', () => {
    const mapped = mapUpstreamError(
      Object.assign(new Error('Timeout awaiting response'), { name: 'TimeoutError' }),
      'product-service',
    );
    expect([mapped.status, mapped.code, mapped.message]).to.deep.equal([
      502,
      'SERVICE_TIMEOUT',
      MESSAGES.SERVICE_TIMEOUT,
    ]);
  });

  for (const [label, error] of [
    ['an error without a code', new Error('boom')],
    ['an unknown code', transportError('EWHATEVER')],
    ['null', null],
    ['a string', 'socket hang up'],
  ] as const) {
    it(`when the error is ${label}, then it is 502 SERVICE_UNAVAILABLE`, () => {
      const mapped = mapUpstreamError(error, 'product-service');
      expect([mapped.status, mapped.code, mapped.message]).to.deep.equal([
        502,
        'SERVICE_UNAVAILABLE',
        MESSAGES.SERVICE_UNAVAILABLE,
      ]);
    });
  }

  it('when the service is another one, then the message names that service', () => {
    expect(mapUpstreamError(transportError('ECONNREFUSED'), 'inventory-service').message).to.equal(
      'Service inventory-service is unavailable',
    );
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

  describe("on the errors the forwarder's got client raises against real loopback failures", () => {
    const client = createServiceClient(loadConfig({}).services[0]!);
    const servers: http.Server[] = [];

    after(async () => {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    /**
     * A server on an ephemeral loopback port that does `onConnection` to each connection (and never answers a request).
     */
    async function serverThat(onConnection: (socket: Socket) => void): Promise<string> {
      const server = http.createServer(() => {});
      server.on('connection', onConnection);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    }

    /** What got rejects with for a GET of `url`, answered or not within 200 ms. */
    function failureOf(url: string): Promise<unknown> {
      return client.get(url, { timeout: { response: 200 } }).then(
        (response) => expect.fail(`answered ${response.statusCode}`),
        (error: unknown) => error,
      );
    }

    const realFailures: Array<
      [what: string, url: () => Promise<string>, code: string, expected: keyof typeof MESSAGES]
    > = [
      [
        'nothing listens on the port',
        async () => `http://127.0.0.1:${await closedPort()}/`,
        'ECONNREFUSED',
        'SERVICE_UNAVAILABLE',
      ],
      [
        'the service resets each connection',
        () => serverThat((socket) => socket.resetAndDestroy()),
        'ECONNRESET',
        'SERVICE_UNAVAILABLE',
      ],
      // One octet over DNS's 63-octet label limit (RFC 1035 §2.3.4): refused by the resolver without a query leaving
      // the machine.
      [
        'the host name cannot be resolved',
        async () => `http://${'a'.repeat(64)}.invalid/`,
        'ENOTFOUND',
        'SERVICE_UNAVAILABLE',
      ],
      ['the service never answers', () => serverThat(() => {}), 'ETIMEDOUT', 'SERVICE_TIMEOUT'],
    ];

    for (const [what, url, code, expected] of realFailures) {
      it(`when ${what}, then got's ${code} is 502 ${expected}`, async () => {
        const error = await failureOf(await url());
        expect((error as { code?: unknown }).code).to.equal(code);
        const mapped = mapUpstreamError(error, 'product-service');
        expect([mapped.status, mapped.code, mapped.message]).to.deep.equal([502, expected, MESSAGES[expected]]);
      });
    }
  });
});
