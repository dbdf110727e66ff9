import { SERVICES, type ServiceId } from './services.js';
import { createEnvReader, exactText, integer, oneOf, optionalText, text } from '../src/config/parsers.js';
import { readAuthServiceSigning } from './signing.js';

/**
 * The demo's own secret, PUBLIC and NOT FOR PRODUCTION: anyone can sign tokens with it. Base64 of
 * 64 random bytes (`openssl rand -base64 64 | tr -d '\n'`), so the shop's auth service could use it too: jjwt
 * decodes it and signs HS512.
 */
export const DEMO_JWT_SECRET =
  'gVHUyIQIGVqieCUCf+XxQZfvVrzL7owOxkw509aMHFwn7iMWsbihHIYn5pT2J9jEC6Pgy3exr5YKhOD3kArkgg==';
const DEFAULT_ISSUER = 'http://localhost:4001';
const SERVICE_IDS = Object.keys(SERVICES) as ServiceId[];

/** The JWT variables the demo shares between the stub auth service that signs and the gateway that verifies. */
export interface JwtSettings {
  readonly secret: string;
  /** Passed on to the gateway only: the auth service, and so its stub, always reads the secret as jjwt does. */
  readonly encoding: 'auto' | 'base64' | 'utf8';
  readonly issuer: string | undefined;
}

/** Everything the demo and its stubs read from the environment, parsed once. */
export interface DemoSettings {
  readonly gatewayPort: number;
  /** Address the stubs listen on: loopback for the demo, `0.0.0.0` in a container. */
  readonly stubHost: string;
  readonly stubPorts: Readonly<Record<ServiceId, number>>;
  readonly jwt: JwtSettings;
  /** The gateway's own grace; the demo waits a little longer than this for it to stop. */
  readonly shutdownGraceMs: number;
}

/** Start-up of the demo or a stub stops with this: one line naming every bad variable. */
export class DemoSettingsError extends Error {
  override name = 'DemoSettingsError';
}

/** `DEMO_AUTH_PORT`, `DEMO_USER_PORT` …: the env prefix of the service, as in `<NAME>_SERVICE_URL`. */
export function stubPortVariable(id: ServiceId): string {
  return `DEMO_${SERVICES[id].env}_PORT`;
}

/** The port of the service's default URL (`http://localhost:8083` → 8083): the shop's usual port. */
function usualPort(id: ServiceId): number {
  return Number(new URL(SERVICES[id].defaultUrl).port);
}

/** Parses the demo's variables from `env`; throws {@link DemoSettingsError} naming every bad one. */
export function readDemoSettings(env: Readonly<Record<string, string | undefined>>): DemoSettings {
  const { read, problems } = createEnvReader(env);

  const stubPorts = Object.fromEntries(
    SERVICE_IDS.map((id) => [id, read(stubPortVariable(id), integer(usualPort(id), 1, 65535))]),
  ) as Record<ServiceId, number>;
  const secret = read('JWT_SECRET', exactText(DEMO_JWT_SECRET));
  // The real auth service fails with a secret jjwt cannot use: so does the demo, before starting anything.
  const signing = readAuthServiceSigning(secret);
  if (signing.result === 'fails') problems.push(signing.problem);
  const settings: DemoSettings = {
    gatewayPort: read('PORT', integer(4000, 1, 65535)),
    stubHost: read('DEMO_STUB_HOST', text('127.0.0.1')),
    stubPorts,
    jwt: {
      secret,
      encoding: read('JWT_SECRET_ENCODING', oneOf(['auto', 'base64', 'utf8'], 'auto')),
      issuer: read('JWT_ISSUER', optionalText(DEFAULT_ISSUER)),
    },
    shutdownGraceMs: read('SHUTDOWN_GRACE_MS', integer(10_000, 0)),
  };
  if (problems.length > 0) throw new DemoSettingsError(`Invalid demo configuration: ${problems.join('; ')}`);
  return settings;
}
