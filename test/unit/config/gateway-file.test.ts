import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'chai';
import {
  GatewayFileError,
  hashGatewayFile,
  parseGatewayFile,
  readGatewayFile,
} from '../../../src/config/gateway-file.js';
import { ConfigError, loadConfig } from '../../../src/config/index.js';

const FIXTURES = 'test/fixtures/gateway';

/** The problems parsing fixture `name` reports, each with the fixture's absolute path as written. */
function problemsOf(name: string): string[] {
  try {
    parseGatewayFile(readGatewayFile(`${FIXTURES}/${name}`));
  } catch (error) {
    expect(error).to.be.instanceOf(GatewayFileError);
    return [...(error as GatewayFileError).problems];
  }
  throw new Error(`expected ${name} to be refused`);
}

/** `<absolute path of fixture name>: <problem>`. */
const at = (name: string, problem: string): string => `${resolve(FIXTURES, name)}: ${problem}`;

/** One file per kind of error, and every problem each one must report, location and reason. */
const REFUSED: Array<[kind: string, file: string, problems: string[]]> = [
  ['unparseable YAML', 'syntax.yaml', ['line 13, column 1: Sequence item without - indicator']],
  ['a key twice in one mapping', 'duplicate-key.yaml', ['line 14, column 5: Map keys must be unique']],
  [
    'unparseable JSON',
    'syntax.json',
    [
      'line 3, column 45: Unexpected double-quoted-scalar token',
      'line 3, column 26: Block collections are not allowed within flow collections',
    ],
  ],
  ['an empty document', 'empty.yaml', ['(the document): must be a mapping (got null)']],
  ['a missing field', 'missing-field.yaml', ['routes[0].service: is required']],
  [
    'an unknown field (a typo)',
    'unknown-field.yaml',
    [
      'routes[0].upstream_path: is not a field here (fields: prefix, service, upstreamPath, public, limit, methods, roles, paths)',
    ],
  ],
  ['a value of the wrong type', 'wrong-type.yaml', ['services[0].timeoutMs: must be a whole number (got "5s")']],
  [
    'malformed paths',
    'bad-path.yaml',
    [
      'routes[0].prefix: must be a path of one or more /segments (letters, digits, - _ . ~), without a trailing slash, dot segment, query or escape (got "/api/v1/products/")',
      'routes[0].upstreamPath: must be a path of one or more /segments (letters, digits, - _ . ~), without a trailing slash, dot segment, query or escape (got "products")',
    ],
  ],
  [
    'a limit that is neither a number nor auth',
    'bad-limit.yaml',
    ['routes[0].paths[0].limit: must be a whole number of requests, or auth (RATE_LIMIT_AUTH_MAX) (got "strict")'],
  ],
  [
    'unknown methods',
    'bad-method.yaml',
    [
      'routes[0].methods[1]: must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS (got "FETCH")',
      'routes[0].roles.WRITE: is not a method (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS) or *',
    ],
  ],
  [
    'an exact path made public',
    'exact-public.yaml',
    ['routes[0].paths[0].public: is not allowed here: an exact path carries methods and roles only'],
  ],
  [
    'a service URL that is not http(s)',
    'bad-url.yaml',
    ['services[0].urls[0]: must be an absolute http or https URL (got "ftp://127.0.0.1:8083")'],
  ],
  [
    'service URLs with two base paths',
    'mixed-urls.yaml',
    ['services[0].urls: must list URLs with one scheme and one base path'],
  ],
  [
    'a duplicate service name',
    'duplicate-service.yaml',
    ['services[1].name: product-service is already the name of services[0]'],
  ],
  [
    'a duplicate env prefix',
    'duplicate-env.yaml',
    ['services[1].env: PRODUCT is already the env prefix of services[0]'],
  ],
  [
    'a duplicate prefix',
    'duplicate-prefix.yaml',
    ['routes[2].prefix: /api/v1/products is already the prefix of routes[0]'],
  ],
  [
    'a prefix shadowed by another',
    'overlapping-prefix.yaml',
    [
      'routes[1].prefix: /api/v1/products/variants lies under routes[0].prefix /api/v1/products: one route would shadow the other',
    ],
  ],
  [
    'a prefix outside /api',
    'outside-api.yaml',
    ['routes[0].prefix: /products is outside /api, where authentication and rate limits apply'],
  ],
  [
    'a route to an unknown service',
    'unknown-service.yaml',
    ['routes[1].service: no service is named order-service (services: product-service, auth-service)'],
  ],
  [
    'a public path outside its route',
    'path-outside-route.yaml',
    ["routes[0].paths[0].path: /api/v1/login is outside its route's prefix /api/v1/auth"],
  ],
  [
    'a path listed twice',
    'duplicate-path.yaml',
    ['routes[0].paths[1].path: /api/v1/auth/login is already listed at routes[0].paths[0]'],
  ],
  [
    'roles on public paths, written or inherited',
    'public-roles.yaml',
    [
      'routes[0].paths[1].roles: /api/v1/auth/register needs no token, so it cannot require roles',
      'routes[0].paths[0]: /api/v1/auth/login needs no token, so it cannot require roles (from routes[0].roles)',
    ],
  ],
  [
    'several problems at once',
    'several.yaml',
    [
      'services[1].env: PRODUCT is already the env prefix of services[0]',
      'routes[1].prefix: /catalog is outside /api, where authentication and rate limits apply',
      'routes[2].service: no service is named order-service (services: product-service, catalog-service)',
    ],
  ],
];

describe('gateway file', () => {
  describe('refused files: every problem, with the file, the location and the reason', () => {
    for (const [kind, file, problems] of REFUSED) {
      it(`when the file has ${kind} (${file}), then it is refused naming each problem`, () => {
        expect(problemsOf(file)).to.deep.equal(problems.map((problem) => at(file, problem)));
      });
    }

    it('when GATEWAY_CONFIG names a refused file, then start-up stops with one line naming every problem of the file and every bad variable', () => {
      let message = '';
      try {
        loadConfig({ GATEWAY_CONFIG: `${FIXTURES}/several.yaml`, PORT: 'abc' });
      } catch (error) {
        expect(error).to.be.instanceOf(ConfigError);
        message = (error as Error).message;
      }
      expect(message).not.to.match(/[\r\n]/);
      for (const problem of REFUSED.find(([, file]) => file === 'several.yaml')![2])
        expect(message).to.include(at('several.yaml', problem));
      expect(message).to.include('PORT must be a whole number');
    });

    it('when GATEWAY_CONFIG names no file, then start-up stops naming GATEWAY_CONFIG and the path it looked at', () => {
      expect(() => loadConfig({ GATEWAY_CONFIG: `${FIXTURES}/absent.yaml` })).to.throw(
        ConfigError,
        `GATEWAY_CONFIG: cannot read the gateway file ${resolve(FIXTURES, 'absent.yaml')} (ENOENT)`,
      );
    });
  });

  describe('accepted files', () => {
    it('when the file is JSON, then it is read as YAML reads it', () => {
      const config = loadConfig({ GATEWAY_CONFIG: `${FIXTURES}/valid.json` });
      expect(config.routes.map((route) => [route.prefix, route.service.name, route.policies[0]!.roles])).to.deep.equal([
        ['/api/v1/products', 'product-service', { DELETE: ['ADMIN'] }],
      ]);
    });

    it('when GATEWAY_CONFIG is relative, then it is resolved against the working directory; absolute, it is taken as it is', () => {
      const absolute = resolve(FIXTURES, 'valid.json');
      expect(loadConfig({ GATEWAY_CONFIG: `${FIXTURES}/valid.json` }).gatewayFile.path).to.equal(absolute);
      expect(loadConfig({ GATEWAY_CONFIG: absolute }).gatewayFile.path).to.equal(absolute);
    });

    it('when the shipped config/gateway.yaml is parsed, then it passes, and its hash is the SHA-256 of its text', () => {
      const source = readGatewayFile('config/gateway.yaml');
      expect(() => parseGatewayFile(source)).not.to.throw();
      expect(hashGatewayFile(source)).to.equal(loadConfig({}).gatewayFile.sha256);
      expect(source.text).to.equal(readFileSync('config/gateway.yaml', 'utf8'));
    });
  });
});
