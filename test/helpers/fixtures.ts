import { allServicesAt, startGateway, type RunningGateway } from './gateway.js';
import { startUpstream, type TestUpstream } from './upstream.js';

type Handler = Parameters<typeof startUpstream>[0];
type Env = Record<string, string>;

/** How `useGateway` sets up its pair. */
export interface GatewayFixtureOptions {
  /** How the upstream answers; by default JSON describing what it saw. */
  readonly handler?: Handler;
  /** Hand the request to `handler` before its body is read. */
  readonly streaming?: boolean;
  /** Env over every service pointed at the upstream; a function when it needs the upstream or a start-up step of its own. */
  readonly env?: Env | ((upstream: TestUpstream) => Env | Promise<Env>);
}

/** The upstream and gateway of the calling suite, readable from its hooks and tests. */
export interface GatewayFixture {
  readonly upstream: TestUpstream;
  readonly gateway: RunningGateway;
}

/**
 * Registers in the calling `describe` a `before` that starts an upstream and an in-process gateway
 * with every service at it, and an `after` that closes both, gateway first.
 */
export function useGateway(options: GatewayFixtureOptions = {}): GatewayFixture {
  let upstream: TestUpstream | undefined;
  let gateway: RunningGateway | undefined;

  before(async () => {
    upstream = await startUpstream(options.handler, { streaming: options.streaming === true });
    const env = typeof options.env === 'function' ? await options.env(upstream) : (options.env ?? {});
    gateway = await startGateway({ ...allServicesAt(upstream.url), ...env });
  });

  // Closes whatever did start, so a failed `before` leaves no server behind.
  after(async () => {
    await gateway?.close();
    await upstream?.close();
    gateway = undefined;
    upstream = undefined;
  });

  return {
    get upstream() {
      if (upstream === undefined) throw new Error('useGateway: the upstream is read before the before hook of its describe started it, or after the after hook closed it');
      return upstream;
    },
    get gateway() {
      if (gateway === undefined) throw new Error('useGateway: the gateway is read before the before hook of its describe started it, or after the after hook closed it');
      return gateway;
    },
  };
}
