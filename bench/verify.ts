import { isDeepStrictEqual } from 'node:util';
import { fetchSmall, type BenchRequest } from './http.js';

/** The requests the bench sends to one target: S1 (GET), S2 (POST) and S3 (big download). */
export interface TargetRequests {
  readonly get: BenchRequest;
  readonly post: BenchRequest;
  readonly big: BenchRequest;
}

function fail(target: string, request: BenchRequest, problem: string): never {
  throw new Error(`${target}: ${request.method} ${request.url}: ${problem}`);
}

/**
 * Refuses to measure a target that does not do the work the numbers claim: the GET must reach
 * the upstream as `/products/123` and come back as JSON, the POST must come back intact. On the
 * gateway, CORS and the rate limiter must have answered, and a request without a token must get 401.
 */
export async function verifyTarget(target: 'direct' | 'gateway', requests: TargetRequests): Promise<void> {
  const get = await fetchSmall(requests.get);
  if (get.status !== 200) fail(target, requests.get, `HTTP ${get.status}: ${get.text.slice(0, 200)}`);
  if (!String(get.headers['content-type']).includes('application/json')) fail(target, requests.get, 'not JSON');
  const seen = (JSON.parse(get.text) as { path?: unknown }).path;
  if (seen !== '/products/123') fail(target, requests.get, `the upstream saw ${String(seen)}`);

  const post = await fetchSmall(requests.post);
  if (post.status !== 201) fail(target, requests.post, `HTTP ${post.status}: ${post.text.slice(0, 200)}`);
  const echoed = isDeepStrictEqual(JSON.parse(post.text), JSON.parse(requests.post.body ?? ''));
  if (!echoed) fail(target, requests.post, 'body not echoed intact');

  if (target === 'direct') return;
  const origin = requests.get.headers.Origin;
  if (get.headers['access-control-allow-origin'] !== origin)
    fail(target, requests.get, 'no CORS headers for the allowed Origin');
  if (get.headers['ratelimit-limit'] === undefined) fail(target, requests.get, 'no RateLimit-Limit header');
  const { Authorization: _token, ...withoutToken } = requests.get.headers;
  const anonymous = await fetchSmall({ ...requests.get, headers: withoutToken });
  if (anonymous.status !== 401) fail(target, requests.get, `without a token: HTTP ${anonymous.status}, expected 401`);
}
