import type { Redis } from 'ioredis';
import type { CounterStore, WindowHit } from './store.js';

/**
 * One round trip for every key of a request: INCR, and the window's expiry set by the hit that
 * opened it (a key left without one, e.g. by a failed script, gets it on its next hit). Redis's
 * clock times the window, so replicas need no clock agreement. One integer per key: O(1) memory
 * whatever the limit, where a sliding log keeps one entry per request.
 */
const HIT_SCRIPT = `
local result = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('PEXPIRE', key, ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  result[2 * i - 1] = count
  result[2 * i] = ttl
end
return result
`;

const COMMAND = 'gatewayRateLimitHit';

/** ioredis adds a method per defined command; this is its signature (key count first). */
type WithHitCommand = Redis & {
  [COMMAND](keyCount: number, ...keysThenWindow: Array<string | number>): Promise<number[]>;
};

/** Fixed-window counters in Redis, shared by every replica and exact under concurrency (one atomic script). */
export function createRedisStore(redis: Redis, windowMs: number): CounterStore {
  // defineCommand sends EVALSHA and falls back to EVAL once when Redis does not know the script yet.
  redis.defineCommand(COMMAND, { lua: HIT_SCRIPT });
  const client = redis as WithHitCommand;
  return {
    async hit(keys) {
      const reply = await client[COMMAND](keys.length, ...keys, windowMs);
      const hits: WindowHit[] = [];
      for (let i = 0; i < keys.length; i += 1) hits.push({ count: reply[2 * i]!, resetMs: reply[2 * i + 1]! });
      return hits;
    },
  };
}
