import { expect } from 'chai';
import { send } from '../helpers/http.js';
import { clientHeaders, expectDownstream } from './exchange.js';
import { intercept, record, type ContractHarness } from './harness.js';

/**
 * Headers a CGI, WSGI or Rack service reads as the gateway's own (`x_user_id` becomes
 * `HTTP_X_USER_ID`, like `x-user-id`): a client sending them poses as another user.
 */
const UNDERSCORED = {
  x_user_id: '1',
  x_user_email: 'root@evil.example',
  x_user_role: 'ADMIN',
  x_forwarded_for: '6.6.6.6',
  x_correlation_id: 'chosen-by-the-client',
} as const;

/**
 * Pins that no header with `_` in its name reaches the service at `upstream` + `path`, and that on
 * a protected path `x-user-id` and friends come from the token alone (DESIGN.md, "What goes downstream").
 */
export async function expectUnderscoredDropped(
  harness: ContractHarness,
  request: { upstream: string; gatewayPath: string; path: string; public?: boolean },
): Promise<void> {
  const scope = intercept(request.upstream).get(request.path).reply(200, '{}', { 'content-type': 'application/json' });
  const seen = record(scope);
  const correlationId = `underscores:${request.gatewayPath}`;

  const response = await send({
    port: harness.port,
    path: request.gatewayPath,
    headers: clientHeaders(correlationId, UNDERSCORED),
  });

  expect(response.status).to.equal(200);
  expectDownstream(seen, {
    upstream: request.upstream,
    method: 'GET',
    path: request.path,
    correlationId,
    public: request.public ?? false,
  });
  expect(Object.keys(seen[0]!.headers).filter((name) => name.includes('_'))).to.deep.equal([]);
  expect(seen[0]!.headers['x-user-id']).to.equal(request.public === true ? undefined : '42');
  expect(harness.unmatched).to.deep.equal([]);
}
