import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_REDIS_URL } from './redis.js';

/** The command line of `npm run bench`. */
export const USAGE = `Usage: npm run bench -- [options]
  --duration S      seconds per load step (default 8)
  --connections N   keep-alive connections of the load generator (default 50)
  --rounds N        direct/gateway rounds; the table shows medians (default 2)
  --big-mb N        MiB streamed through the gateway in S3 (default 1024)
  --warmup S        seconds of each scenario on each target before round 1 (default 8: the
                    gateway's many small functions need that long to be optimised by V8)
  --load NAME       wrk or autocannon (default: wrk when on PATH, else autocannon)
  --log FILE        keep the gateway's JSON log in FILE (default: /dev/null)
  --out FILE        write settings, every round and the summary as JSON
Environment: REDIS_URL (default ${DEFAULT_REDIS_URL} when it answers, else the in-memory limiter).`;

/** Settings of one bench run. */
export interface Options {
  readonly duration: number;
  readonly connections: number;
  readonly rounds: number;
  readonly bigMiB: number;
  readonly warmup: number;
  readonly load: 'wrk' | 'autocannon' | undefined;
  readonly log: string | undefined;
  readonly out: string | undefined;
  readonly help: boolean;
}

function integer(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min} (got ${raw})`);
  return value;
}

/** Parses the arguments after `npm run bench --`; throws with a plain message on a bad one. */
export function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string', default: '8' },
      connections: { type: 'string', default: '50' },
      rounds: { type: 'string', default: '2' },
      'big-mb': { type: 'string', default: '1024' },
      warmup: { type: 'string', default: '8' },
      load: { type: 'string' },
      log: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.load !== undefined && values.load !== 'wrk' && values.load !== 'autocannon') {
    throw new Error(`--load must be wrk or autocannon (got ${values.load})`);
  }
  return {
    duration: integer('duration', values.duration, 1),
    connections: integer('connections', values.connections, 1),
    rounds: integer('rounds', values.rounds, 1),
    bigMiB: integer('big-mb', values['big-mb'], 1),
    warmup: integer('warmup', values.warmup, 0),
    load: values.load,
    log: values.log === undefined ? undefined : path.resolve(values.log),
    out: values.out === undefined ? undefined : path.resolve(values.out),
    help: values.help,
  };
}
