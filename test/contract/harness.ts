import nock from 'nock';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { signHs256 } from '../helpers/tokens.js';

// Importing nock patches node:http for the whole mocha process; the real-socket suites must not
// run through its interceptor (it changes keep-alive and streaming behaviour), so it is on only
// while a contract suite runs.
if (nock.isActive()) nock.restore();

/** Fake service origins, as the gateway knows them (and sends them as `Host`). */
export const UPSTREAMS = {
  auth: 'http://auth.contract.test:4001',
  users: 'http://users.contract.test:8082',
  products: 'http://products.contract.test:8083',
  inventory: 'http://inventory.contract.test:8080',
} as const;

/**
 * The one address the suite's DNS server gives each fake host name: the gateway connects there, and nock answers there.
 */
const ADDRESSES: Readonly<Record<string, string>> = {
  'auth.contract.test': '127.0.0.11',
  'users.contract.test': '127.0.0.12',
  'products.contract.test': '127.0.0.13',
  'inventory.contract.test': '127.0.0.14',
};

/**
 * nock's interceptors for the service at `upstream` (one of {@link UPSTREAMS}): on the address its name resolves to.
 */
export function intercept(upstream: string): nock.Scope {
  const url = new URL(upstream);
  const address = ADDRESSES[url.hostname];
  if (address === undefined) throw new Error(`${upstream} is not a contract upstream`);
  return nock(`${url.protocol}//${address}:${url.port}`);
}

/** Not Base64 as jjwt reads it (`-` inside): its 42 UTF-8 bytes are the key. */
const JWT_SECRET = 'contract-test-secret-not-base64-0123456789';
const JWT_ISSUER = 'http://localhost:4001';

/** A valid access token as the shop's auth service issues it, for a user with `role`. */
function accessTokenAs(role: 'USER' | 'ADMIN'): string {
  return signHs256(
    {
      sub: 'ada@example.com',
      userId: 42,
      role,
      tokenType: 'access',
      iss: JWT_ISSUER,
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 3600,
    },
    JWT_SECRET,
  );
}

/** A customer's token: stays acceptable once the JWT layer checks tokens. */
export const ACCESS_TOKEN = accessTokenAs('USER');

/** An admin's token (the admin portal): what the ADMIN-only operations of the gateway file need. */
export const ADMIN_TOKEN = accessTokenAs('ADMIN');

/** What one upstream saw of one request, as nock recorded it. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  /** The body as utf8 text (nock hands it over as a string). */
  readonly body: string;
}

/** A request that reached no interceptor on a fake service host. */
export interface Unmatched {
  readonly host: string;
  readonly method: string;
  readonly path: string;
}

/** The fields nock's "no match" arguments (request options or the request) have in common. */
interface RequestLike {
  readonly hostname?: string;
  readonly host?: string;
  readonly method?: string;
  readonly path?: string;
}

/** The gateway under contract and what nock saw that nobody expected. */
export interface ContractHarness {
  readonly port: number;
  readonly unmatched: readonly Unmatched[];
}

/**
 * Registers the mocha hooks of a contract suite: nock owns every host but 127.0.0.1, the real
 * gateway listens there with each service pointed at its fake origin, and interceptors live one test.
 */
export function useContractGateway(): ContractHarness {
  let gateway: RunningGateway | undefined;
  let dns: TestDnsServer | undefined;
  const unmatched: Unmatched[] = [];
  // nock emits `(options)` for a host with no interceptors and `(request, options, body)` for an unmatched one.
  const onNoMatch = (first: RequestLike, second?: RequestLike): void => {
    const options = second ?? first;
    const host = options.hostname ?? options.host ?? '';
    // The test client's own requests to the gateway pass through nock too: they are not downstream traffic.
    if (host === '127.0.0.1' || host.startsWith('127.0.0.1:')) return;
    unmatched.push({ host, method: first.method ?? options.method ?? '', path: first.path ?? options.path ?? '' });
  };

  before(async () => {
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    nock.emitter.on('no match', onNoMatch);
    dns = await startDnsServer(
      Object.fromEntries(Object.entries(ADDRESSES).map(([name, address]) => [name, [address]])),
    );
    gateway = await startGateway({
      SERVICE_DNS_SERVERS: dns.servers,
      AUTH_SERVICE_URL: UPSTREAMS.auth,
      USER_SERVICE_URL: UPSTREAMS.users,
      PRODUCT_SERVICE_URL: UPSTREAMS.products,
      INVENTORY_SERVICE_URL: UPSTREAMS.inventory,
      JWT_SECRET,
      JWT_ISSUER,
    });
  });

  beforeEach(() => {
    unmatched.length = 0;
  });

  afterEach(() => {
    nock.cleanAll();
  });

  after(async () => {
    await gateway?.close();
    await dns?.close();
    nock.emitter.off('no match', onNoMatch);
    nock.cleanAll();
    nock.enableNetConnect();
    nock.restore();
  });

  return {
    get port() {
      if (gateway === undefined) throw new Error('the contract gateway is not started');
      return gateway.port;
    },
    unmatched,
  };
}

/** Collects every request `scope` intercepts, with the body exactly as it arrived. */
export function record(scope: nock.Scope): SeenRequest[] {
  const seen: SeenRequest[] = [];
  scope.on(
    'request',
    (
      request: { method: string; path: string; headers: Record<string, unknown> },
      _interceptor: unknown,
      body: string,
    ) => {
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
      seen.push({ method: request.method, path: request.path, headers, body });
    },
  );
  return seen;
}
