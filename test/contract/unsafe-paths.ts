import { expect } from 'chai';
import nock from 'nock';
import { send } from '../helpers/http.js';
import { clientHeaders } from './exchange.js';
import { intercept, UPSTREAMS, type ContractHarness } from './harness.js';

/** Paths under `prefix` that would leave it (for `other`'s route, or above the upstream path) if they were resolved. */
export function unsafePaths(prefix: string, otherPrefix: string): Array<{ target: string; reaches: string }> {
  const other = otherPrefix.slice(otherPrefix.lastIndexOf('/') + 1);
  return [
    { target: `${prefix}/../${other}/1`, reaches: `${otherPrefix}/1` },
    { target: `${prefix}/%2e%2e/${other}/1`, reaches: `${otherPrefix}/1` },
    { target: `${prefix}/.%2E/${other}/1`, reaches: `${otherPrefix}/1` },
    { target: `${prefix}/x/..%2f..%2fadmin`, reaches: 'the service root /admin' },
    { target: `${prefix}/..;/admin`, reaches: 'the service root /admin (as Tomcat reads ..;)' },
    { target: `${prefix}/x%5c..%5c..%5cadmin`, reaches: 'the service root /admin (encoded backslashes)' },
  ];
}

/**
 * Pins that an unsafe target is refused with 400 BAD_REQUEST before anything goes downstream:
 * traps on the paths it would reach stay pending and no service host sees any request.
 */
export async function expectRefusedUnsafe(
  harness: ContractHarness,
  target: string,
  otherUpstream: string,
  otherPath: string,
): Promise<void> {
  const traps = Object.values(UPSTREAMS).map((upstream) => intercept(upstream).get('/admin').reply(200, 'reached'));
  traps.push(intercept(otherUpstream).get(otherPath).reply(200, 'reached'));
  const correlationId = `unsafe:${target}`;

  const response = await send({ port: harness.port, path: target, headers: clientHeaders(correlationId) });

  expect(response.status).to.equal(400);
  expect(response.headers['content-type']).to.match(/^application\/json/);
  const envelope = response.json<{
    success: boolean;
    error: { code: string; message: string; correlationId: string };
  }>();
  expect(envelope.success).to.equal(false);
  expect(envelope.error.code).to.equal('BAD_REQUEST');
  expect(envelope.error.message).to.be.a('string').that.is.not.empty;
  expect(envelope.error.correlationId).to.equal(correlationId);
  expect(
    traps.every((trap) => !trap.isDone()),
    'no trap consumed',
  ).to.equal(true);
  expect(nock.pendingMocks()).to.have.length(traps.length);
  expect(harness.unmatched, 'requests that reached a service host').to.deep.equal([]);
}
