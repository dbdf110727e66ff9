import type { IncomingHttpHeaders } from 'node:http';
import { expect } from 'chai';
import fc from 'fast-check';
import type { ForwardedUser } from '../../src/auth/user.js';
import { buildUpstreamHeaders, responseHeaders } from '../../src/proxy/headers.js';

/** RFC 9110 §7.6.1 and the contract's list: never forwarded, in either direction. */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];
/** Headers the gateway writes itself on the way downstream; they may carry a name a client listed in Connection. */
const GATEWAY_OWN = new Set([
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'forwarded',
  'x-correlation-id',
  'x-request-id',
  'x-user-id',
  'x-user-email',
  'x-user-role',
]);

const token = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,11}$/);
/**
 * Header names as Node hands them over (lower case): hop-by-hop, proxy-*, x-user-*, with `_`, the gateway's own, and
 * arbitrary ones.
 */
const headerName = fc.oneof(
  fc.constantFrom(...HOP_BY_HOP),
  token.map((rest) => `proxy-${rest}`),
  token.map((rest) => `x-user-${rest}`),
  fc.tuple(token, token).map(([before, after]) => `${before}_${after}`),
  fc.constantFrom('x_user_id', 'x_user_role', 'x_forwarded_for'),
  fc.constantFrom(
    'x-user-id',
    'x-user-email',
    'x-user-role',
    ...GATEWAY_OWN,
    'host',
    'expect',
    'authorization',
    'cookie',
    'http2-settings',
  ),
  token,
);
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,20}$/);

/** A Connection value naming some headers in any case and spacing, maybe with `close` or `keep-alive`. */
const connectionValue = (names: string[]): fc.Arbitrary<string> =>
  fc
    .subarray([...names, 'close', 'keep-alive', 'X-Extra'])
    .chain((listed) =>
      fc.tuple(fc.constant(listed), fc.array(fc.boolean(), { minLength: listed.length, maxLength: listed.length })),
    )
    .map(([listed, upper]) => listed.map((name, i) => ` ${upper[i] ? name.toUpperCase() : name} `).join(','));

const headers: fc.Arbitrary<IncomingHttpHeaders> = fc
  .dictionary(headerName, headerValue, { maxKeys: 12 })
  .chain((plain) =>
    fc
      .tuple(fc.constant(plain), fc.option(connectionValue(Object.keys(plain)), { nil: undefined }))
      .map(([rest, connection]) => {
        const all: IncomingHttpHeaders = { ...rest };
        if (connection !== undefined) all.connection = connection;
        return all;
      }),
  );

const user: fc.Arbitrary<ForwardedUser | undefined> = fc.option(
  fc.record({
    id: fc.stringMatching(/^[0-9]{1,4}$/),
    email: fc.constant('ada@example.com'),
    role: fc.option(fc.constantFrom('USER', 'ADMIN'), { nil: undefined }),
  }),
  { nil: undefined },
);

function named(connection: string | string[] | undefined): Set<string> {
  return new Set(
    String(connection ?? '')
      .split(',')
      .map((part) => part.trim().toLowerCase())
      .filter((name) => name !== ''),
  );
}

describe('header filter properties (fast-check)', () => {
  it('when any client headers are forwarded, then no hop-by-hop, proxy-*, Connection-named, underscored or client x-user-* header survives', () => {
    fc.assert(
      fc.property(headers, user, fc.boolean(), (incoming, forwardedUser, trustProxy) => {
        const outgoing = buildUpstreamHeaders(incoming, {
          peerAddress: '127.0.0.1',
          protocol: 'http',
          trustProxy,
          correlationId: 'cid',
          user: forwardedUser,
        });
        const listed = named(incoming.connection);
        const names = Object.keys(outgoing);
        expect(names.filter((name) => HOP_BY_HOP.includes(name) || name.startsWith('proxy-'))).to.deep.equal([]);
        expect(names.filter((name) => listed.has(name) && !GATEWAY_OWN.has(name))).to.deep.equal([]);
        expect(names.filter((name) => name.includes('_'))).to.deep.equal([]);
        const expectedUser =
          forwardedUser === undefined
            ? {}
            : {
                'x-user-id': forwardedUser.id,
                'x-user-email': forwardedUser.email,
                ...(forwardedUser.role !== undefined && { 'x-user-role': forwardedUser.role }),
              };
        expect(
          Object.fromEntries(Object.entries(outgoing).filter(([name]) => name.startsWith('x-user-'))),
        ).to.deep.equal(expectedUser);
        expect(outgoing['x-correlation-id']).to.equal('cid');
      }),
      { numRuns: 1000 },
    );
  });

  it('when any upstream headers are passed back, then no hop-by-hop, proxy-* or Connection-named header reaches the client', () => {
    fc.assert(
      fc.property(headers, (upstream) => {
        const listed = named(upstream.connection);
        const names = [...responseHeaders(upstream)].map(([name]) => name);
        expect(
          names.filter((name) => HOP_BY_HOP.includes(name) || name.startsWith('proxy-') || listed.has(name)),
        ).to.deep.equal([]);
      }),
      { numRuns: 1000 },
    );
  });
});
