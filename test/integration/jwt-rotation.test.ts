import { expect } from 'chai';
import { useGateway, useUpstream, type GatewayFixture } from '../helpers/fixtures.js';
import { allServicesAt } from '../helpers/gateway.js';
import { send } from '../helpers/http.js';
import { killSpawnedGateways, spawnGateway } from '../helpers/process.js';
import { accessClaims, AUTH_ENV, epochSeconds, signHs256, TEST_SECRET } from '../helpers/tokens.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The secret the auth service signed with before the rotation: 48 UTF-8 bytes, HS256 as jjwt would sign with it (not
 * Base64: `-` inside).
 */
const PREVIOUS_SECRET = 'the-auth-service-secret-before-the-rotation-2025';

async function statusWith(fixture: GatewayFixture, token: string): Promise<number> {
  return (
    await send({
      port: fixture.gateway.port,
      path: '/api/v1/products/1',
      headers: { authorization: `Bearer ${token}` },
    })
  ).status;
}

/** `gateway_jwt_verified_total` by key, from the gateway's own registry. */
/** The reason the gateway logged for its last refused token. */
function lastRefusal(fixture: GatewayFixture): unknown {
  return fixture.gateway.logs.filter((line) => line.msg === 'authentication refused').at(-1)?.reason;
}

async function verifiedCounts(fixture: GatewayFixture): Promise<Record<string, number>> {
  const text = await fixture.gateway.gateway.metrics.registry.metrics();
  return Object.fromEntries(
    [...text.matchAll(/^gateway_jwt_verified_total\{key="(\w+)"\} (\d+)$/gm)].map((match) => [
      match[1]!,
      Number(match[2]),
    ]),
  );
}

describe('JWT key rotation', () => {
  describe('while JWT_SECRET_PREVIOUS is set', () => {
    const fixture = useGateway({ env: { ...AUTH_ENV, JWT_SECRET_PREVIOUS: PREVIOUS_SECRET } });

    it('when tokens signed with either key arrive, then both pass and the metric counts each request by the key that verified it', async () => {
      const previous = signHs256(accessClaims(), PREVIOUS_SECRET);
      const current = signHs256(accessClaims({ userId: 43 }), TEST_SECRET);
      expect(await verifiedCounts(fixture)).to.deep.equal({ current: 0, previous: 0 });
      expect(await statusWith(fixture, previous)).to.equal(200);
      expect(await statusWith(fixture, current)).to.equal(200);
      // The same token again is served from the verified-token cache: still counted, by the same key.
      expect(await statusWith(fixture, previous)).to.equal(200);
      expect(await verifiedCounts(fixture)).to.deep.equal({ current: 1, previous: 2 });
      expect(fixture.upstream.seen.at(-1)?.headers['x-user-id']).to.equal('42');
    });

    it('when a token signed with the previous key has expired, then 401, for the reason the previous key found', async () => {
      const expired = signHs256(accessClaims({ exp: epochSeconds(-60) }), PREVIOUS_SECRET);
      expect(await statusWith(fixture, expired)).to.equal(401);
      expect(lastRefusal(fixture)).to.equal('jwt expired');
    });

    it('when a token is signed with neither key, then 401 invalid signature', async () => {
      expect(
        await statusWith(fixture, signHs256(accessClaims(), 'a-third-secret-nobody-configured-at-all-here')),
      ).to.equal(401);
      expect(lastRefusal(fixture)).to.equal('invalid signature');
    });

    it('when the gateway starts, then each key has its own start-up line, and neither secret is logged', () => {
      const lines = fixture.gateway.logs
        .filter((line) => line.variable !== undefined)
        .map(({ variable, msg }) => ({ variable, msg }));
      expect(lines).to.deep.equal([
        { variable: 'JWT_SECRET', msg: 'JWT_SECRET read as utf8 (auto): 47-byte key, accepting HS256' },
        {
          variable: 'JWT_SECRET_PREVIOUS',
          msg: 'JWT_SECRET_PREVIOUS read as utf8 (auto): 48-byte key, accepting HS256, HS384',
        },
      ]);
      const everything = JSON.stringify(fixture.gateway.logs);
      expect(everything).not.to.include(PREVIOUS_SECRET.slice(0, 16));
      expect(everything).not.to.include(TEST_SECRET.slice(0, 16));
    });
  });

  describe('once JWT_SECRET_PREVIOUS is removed', () => {
    const fixture = useGateway({ env: AUTH_ENV });

    it('when a token signed with the previous key arrives, then 401, and the current key still verifies', async () => {
      expect(await statusWith(fixture, signHs256(accessClaims(), PREVIOUS_SECRET))).to.equal(401);
      expect(await statusWith(fixture, signHs256(accessClaims(), TEST_SECRET))).to.equal(200);
      expect(await verifiedCounts(fixture)).to.deep.equal({ current: 1, previous: 0 });
    });
  });

  describe('through the built gateway', () => {
    const upstream = useUpstream();
    afterEach(killSpawnedGateways);

    it('when the file is reloaded, then tokens of the previous key still pass; once JWT_SECRET_PREVIOUS is removed and the process restarted, they get 401', async () => {
      const env = { ...AUTH_ENV, ...allServicesAt(upstream.upstream.url) };
      const previous = signHs256(accessClaims(), PREVIOUS_SECRET);
      const current = signHs256(accessClaims(), TEST_SECRET);
      const status = async (port: number, token: string): Promise<number> =>
        (await send({ port, path: '/api/v1/products/1', headers: { authorization: `Bearer ${token}` } })).status;

      const rotating = await spawnGateway({ ...env, JWT_SECRET_PREVIOUS: PREVIOUS_SECRET });
      expect(await status(rotating.port, previous)).to.equal(200);
      rotating.child.kill('SIGHUP');
      await waitFor(() => rotating.logs.some((line) => line.msg === 'gateway file reloaded'), 5000);
      expect(await status(rotating.port, previous)).to.equal(200);
      await rotating.stop();

      const rotated = await spawnGateway(env);
      expect(await status(rotated.port, previous)).to.equal(401);
      expect(await status(rotated.port, current)).to.equal(200);
    });
  });
});
