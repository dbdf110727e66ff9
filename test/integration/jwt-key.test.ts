import { expect } from 'chai';
import { useUpstream } from '../helpers/fixtures.js';
import { allServicesAt, startGateway, type RunningGateway } from '../helpers/gateway.js';
import { send } from '../helpers/http.js';
import { readKeyVectors, type KeyVector } from '../helpers/jjwt-vectors.js';
import { killSpawnedGateways, spawnGateway } from '../helpers/process.js';
import { accessClaims, signHmac, TEST_ISSUER, type HmacAlgorithm } from '../helpers/tokens.js';

const VECTORS = readKeyVectors();
const ALGORITHMS: readonly HmacAlgorithm[] = ['HS256', 'HS384', 'HS512'];
const keyOf = (vector: KeyVector): Buffer => Buffer.from(vector.hex ?? '', 'hex');
const isAlgorithm = (value: string | undefined): value is HmacAlgorithm => ALGORITHMS.includes(value as HmacAlgorithm);

/** The first vector the auth service signs with `algorithm`. */
function vectorSigning(algorithm: HmacAlgorithm): KeyVector {
  const vector = VECTORS.find((candidate) => candidate.algorithm === algorithm);
  if (vector === undefined) throw new Error(`no vector signs ${algorithm}`);
  return vector;
}

describe('JWT keys of the auth service (test/fixtures/jjwt-key-vectors.tsv)', () => {
  const fixture = useUpstream();

  /** A gateway that requires tokens and verifies them with `JWT_SECRET=secret`. */
  async function withGateway(
    env: Record<string, string>,
    use: (gateway: RunningGateway) => Promise<void>,
  ): Promise<void> {
    const gateway = await startGateway({
      ...allServicesAt(fixture.upstream.url),
      REQUIRE_AUTH: 'true',
      JWT_ISSUER: TEST_ISSUER,
      ...env,
    });
    try {
      await use(gateway);
    } finally {
      await gateway.close();
    }
  }

  async function statusOf(gateway: RunningGateway, token: string): Promise<number> {
    return (
      await send({ port: gateway.port, path: '/api/v1/products/1', headers: { authorization: `Bearer ${token}` } })
    ).status;
  }

  for (const vector of VECTORS.filter((candidate) => isAlgorithm(candidate.algorithm))) {
    const algorithm = vector.algorithm as HmacAlgorithm;
    const weaker = ALGORITHMS.slice(0, ALGORITHMS.indexOf(algorithm));
    const stronger = ALGORITHMS.slice(ALGORITHMS.indexOf(algorithm) + 1);
    it(`when JWT_SECRET is line ${vector.line} (${vector.keyBytes} bytes), then the auth service's ${algorithm} token passes${weaker.length > 0 ? ` and so do ${weaker.join(', ')}` : ''}${stronger.length > 0 ? `; ${stronger.join(', ')} (key too short) are refused` : ''}`, async () => {
      await withGateway({ JWT_SECRET: vector.secret }, async (gateway) => {
        expect(await statusOf(gateway, signHmac(accessClaims(), keyOf(vector), algorithm)), algorithm).to.equal(200);
        for (const alg of weaker)
          expect(await statusOf(gateway, signHmac(accessClaims(), keyOf(vector), alg)), alg).to.equal(200);
        for (const alg of stronger)
          expect(await statusOf(gateway, signHmac(accessClaims(), keyOf(vector), alg)), alg).to.equal(401);
        const reasons = gateway.logs.filter((line) => line.msg === 'authentication refused').map((line) => line.reason);
        expect(reasons).to.deep.equal(stronger.map(() => 'invalid algorithm'));
      });
    });
  }

  for (const vector of VECTORS.filter((candidate) => candidate.algorithm === 'weak-key')) {
    it(`when JWT_SECRET is line ${vector.line} (${vector.keyBytes} bytes, too weak for the auth service), then every token is refused`, async () => {
      await withGateway({ JWT_SECRET: vector.secret }, async (gateway) => {
        const before = fixture.upstream.seen.length;
        for (const alg of ALGORITHMS)
          expect(await statusOf(gateway, signHmac(accessClaims(), keyOf(vector), alg)), alg).to.equal(401);
        expect(fixture.upstream.seen.length).to.equal(before);
      });
    });
  }

  describe('start-up log of the key', () => {
    const keyLines = (gateway: RunningGateway): Array<Record<string, unknown>> =>
      gateway.logs.filter((line) => 'keyBytes' in line || 'authService' in line);

    it("when JWT_SECRET is the auth service's 48-byte Base64 secret, then one info line says base64 (auto), 48 bytes, HS256 and HS384, no warning, and never the secret", async () => {
      const vector = vectorSigning('HS384');
      await withGateway({ JWT_SECRET: vector.secret }, async (gateway) => {
        const lines = keyLines(gateway);
        expect(lines).to.have.length(1);
        expect(lines[0]).to.include({ level: 30, secretEncoding: 'base64', readBy: 'auto', keyBytes: 48 });
        expect(lines[0]!.algorithms).to.deep.equal(['HS256', 'HS384']);
        expect(lines[0]!.msg).to.equal('JWT_SECRET read as base64 (auto): 48-byte key, accepting HS256, HS384');
        const everything = JSON.stringify(gateway.logs);
        expect(everything).not.to.include(vector.secret.trim().slice(0, 16));
        expect(everything).not.to.include(vector.hex!.slice(0, 16));
      });
    });

    it('when JWT_SECRET is left at its placeholder, then the gateway starts and warns that every token is refused and the auth service cannot sign', async () => {
      const gateway = await startGateway({ ...allServicesAt(fixture.upstream.url), REQUIRE_AUTH: 'true' });
      try {
        const [info, ...warnings] = keyLines(gateway);
        expect(info).to.include({ level: 30, secretEncoding: 'utf8', readBy: 'auto', keyBytes: 28 });
        expect(info!.algorithms).to.deep.equal([]);
        expect(warnings.map((line) => [line.level, line.msg])).to.deep.equal([
          [
            40,
            "JWT key is 28 bytes, under the 32 that HS256 needs: every token will be refused; use Base64 of 32 or more random bytes on one line, e.g. `openssl rand -base64 64 | tr -d '\\n'`",
          ],
          [
            40,
            "the auth service cannot sign with this JWT_SECRET: its Base64 decoder (jjwt) refuses it and does not fall back to text; use Base64 of 32 or more random bytes on one line, e.g. `openssl rand -base64 64 | tr -d '\\n'`",
          ],
        ]);
        expect(await statusOf(gateway, signHmac(accessClaims(), 'CHANGE_ME_TO_A_STRONG_SECRET', 'HS256'))).to.equal(
          401,
        );
      } finally {
        await gateway.close();
      }
    });

    it('when JWT_SECRET is a service-fails row long enough for the gateway, then the gateway verifies its UTF-8 bytes and warns only about the auth service', async () => {
      const vector = VECTORS.find(
        (candidate) => candidate.reading.startsWith('service-fails') && Buffer.byteLength(candidate.secret) >= 32,
      )!;
      await withGateway({ JWT_SECRET: vector.secret }, async (gateway) => {
        const [info, ...warnings] = keyLines(gateway);
        expect(info).to.include({ secretEncoding: 'utf8', keyBytes: Buffer.byteLength(vector.secret) });
        expect(warnings.map((line) => line.authService)).to.deep.equal(['DecodingException']);
        expect(await statusOf(gateway, signHmac(accessClaims(), vector.secret, 'HS256'))).to.equal(200);
      });
    });

    it("when JWT_SECRET is the auth service's 24-byte Base64 secret, then it warns that every token is refused and that the auth service refuses the weak key", async () => {
      const vector = VECTORS.find((candidate) => candidate.algorithm === 'weak-key' && candidate.keyBytes === 24)!;
      await withGateway({ JWT_SECRET: vector.secret }, async (gateway) => {
        const [info, ...warnings] = keyLines(gateway);
        expect(info).to.include({ secretEncoding: 'base64', keyBytes: 24 });
        expect(warnings.map((line) => [line.level, line.keyBytes ?? line.authService])).to.deep.equal([
          [40, 24],
          [40, 'WeakKeyException'],
        ]);
      });
    });

    it("when JWT_SECRET_ENCODING=utf8 reads a Base64 secret as text, then it says so and warns that the auth service's tokens will be refused", async () => {
      const vector = vectorSigning('HS512');
      await withGateway({ JWT_SECRET: vector.secret, JWT_SECRET_ENCODING: 'utf8' }, async (gateway) => {
        const [info, ...warnings] = keyLines(gateway);
        expect(info).to.include({
          secretEncoding: 'utf8',
          readBy: 'JWT_SECRET_ENCODING',
          keyBytes: Buffer.byteLength(vector.secret),
        });
        expect(warnings.map((line) => line.msg)).to.deep.equal([
          'JWT_SECRET_ENCODING=utf8 gives JWT_SECRET other key bytes than the auth service (base64, 64 bytes, HS512): its tokens will be refused',
        ]);
        expect(await statusOf(gateway, signHmac(accessClaims(), keyOf(vector), 'HS512'))).to.equal(401);
      });
    });
  });
});

describe('JWT keys end to end through the built gateway (npm start)', () => {
  const fixture = useUpstream();

  afterEach(async () => {
    await killSpawnedGateways();
  });

  for (const algorithm of ['HS384', 'HS512'] as const) {
    it(`when the auth service signs ${algorithm} with its ${algorithm === 'HS384' ? 48 : 64}-byte Base64 secret, then the token passes and the service sees the user context`, async () => {
      const vector = vectorSigning(algorithm);
      const gateway = await spawnGateway({
        ...allServicesAt(fixture.upstream.url),
        REQUIRE_AUTH: 'true',
        JWT_SECRET: vector.secret,
        JWT_ISSUER: TEST_ISSUER,
      });
      const token = signHmac(
        accessClaims({ userId: 7, sub: 'grace@example.com', role: 'ADMIN' }),
        keyOf(vector),
        algorithm,
      );

      const response = await send({
        port: gateway.port,
        path: '/api/v1/users/7?full=1',
        headers: { authorization: `Bearer ${token}` },
      });

      expect(response.status).to.equal(200);
      const seen = fixture.upstream.seen.at(-1)!;
      expect(seen.url).to.equal('/users/7?full=1');
      expect([seen.headers['x-user-id'], seen.headers['x-user-email'], seen.headers['x-user-role']]).to.deep.equal([
        '7',
        'grace@example.com',
        'ADMIN',
      ]);
      expect(seen.headers.authorization).to.equal(`Bearer ${token}`);
      const keyLine = gateway.logs.find((line) => 'keyBytes' in line);
      expect(keyLine).to.include({ secretEncoding: 'base64', readBy: 'auto', keyBytes: vector.keyBytes });
    });
  }

  it('when the gateway starts on defaults (placeholder secret), then it listens and its log warns that every token will be refused', async () => {
    const gateway = await spawnGateway({ PRODUCT_SERVICE_URL: fixture.upstream.url, REQUIRE_AUTH: 'true' });
    const warnings = gateway.logs.filter((line) => line.level === 40).map((line) => String(line.msg));
    expect(warnings.some((msg) => msg.includes('every token will be refused'))).to.equal(true);
    const token = signHmac(accessClaims(), 'CHANGE_ME_TO_A_STRONG_SECRET', 'HS256');
    expect(
      (await send({ port: gateway.port, path: '/api/v1/products/1', headers: { authorization: `Bearer ${token}` } }))
        .status,
    ).to.equal(401);
  });
});
