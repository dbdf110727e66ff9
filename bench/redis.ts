import { randomUUID } from 'node:crypto';
import net from 'node:net';

/** The Redis a developer machine and CI run (README: `npm test` needs it). */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The Redis the gateway's limiter shares counts through, under a key prefix no other run uses. */
export interface BenchRedis {
  readonly url: string;
  readonly prefix: string;
}

/** Whether `hostname` is on this machine's loopback (127.0.0.0/8, localhost, ::1). */
export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** `REDIS_URL` when set (on loopback, and it must answer), else the local default when it answers, else none. */
export async function chooseRedis(env: NodeJS.ProcessEnv): Promise<BenchRedis | undefined> {
  const prefix = `gateway-bench:${randomUUID()}`;
  const explicit = env.REDIS_URL;
  if (explicit === undefined || explicit === '') {
    return (await redisAnswers(DEFAULT_REDIS_URL)) ? { url: DEFAULT_REDIS_URL, prefix } : undefined;
  }
  if (!isLoopback(new URL(explicit).hostname))
    throw new Error(`REDIS_URL ${explicit} is not on loopback: the bench stays on this machine`);
  if (!(await redisAnswers(explicit))) throw new Error(`REDIS_URL ${explicit} does not answer`);
  return { url: explicit, prefix };
}

/** Whether a Redis server answers a PING at `url` within `timeoutMs` (any reply counts: a password may be needed). */
export function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 6379) });
    const finish = (answered: boolean): void => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data: Buffer) => finish(/^[+-]/.test(data.toString('latin1'))));
  });
}

/**
 * How many keys match `pattern` (`KEYS`: fine on a bench or test Redis, not on a busy one), or
 * undefined when Redis refuses the command (a password is needed).
 */
export function countRedisKeys(url: string, pattern: string, timeoutMs = 2000): Promise<number | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 6379) });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`Redis at ${url} did not answer KEYS within ${timeoutMs} ms`));
    });
    socket.once('error', reject);
    socket.once('connect', () => socket.write(`*2\r\n$4\r\nKEYS\r\n$${Buffer.byteLength(pattern)}\r\n${pattern}\r\n`));
    socket.once('data', (data: Buffer) => {
      socket.destroy();
      const header = /^\*(\d+)\r\n/.exec(data.toString('latin1'));
      resolve(header === null ? undefined : Number(header[1]));
    });
  });
}
