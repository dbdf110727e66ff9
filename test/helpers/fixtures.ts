import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetricsServer } from '../../src/metrics.js';
import { allServicesAt, startGateway, type RunningGateway } from './gateway.js';
import { startUpstream, type TestUpstream } from './upstream.js';

type Env = Record<string, string>;

/** How the upstream of a fixture answers. */
export interface UpstreamFixtureOptions {
  /** How the upstream answers; by default JSON describing what it saw. */
  readonly handler?: Parameters<typeof startUpstream>[0];
  /** Hand the request to `handler` before its body is read. */
  readonly streaming?: boolean;
}

/** How `useGateway` sets up its pair. */
export interface GatewayFixtureOptions extends UpstreamFixtureOptions {
  /**
   * Env over every service pointed at the upstream; a function when it needs the upstream or a start-up step of its
   * own.
   */
  readonly env?: Env | ((upstream: TestUpstream) => Env | Promise<Env>);
}

/** The upstream of the calling suite, readable from its hooks and tests. */
export interface UpstreamFixture {
  readonly upstream: TestUpstream;
}

/** The upstream and gateway of the calling suite, readable from its hooks and tests. */
export interface GatewayFixture extends UpstreamFixture {
  readonly gateway: RunningGateway;
}

/** `value`, or a plain error naming the hook that should have set it. */
function started<T>(value: T | undefined, what: string): T {
  if (value === undefined)
    throw new Error(
      `${what} is read before the before hook of its describe started it, or after the after hook closed it`,
    );
  return value;
}

function startFixtureUpstream(options: UpstreamFixtureOptions): Promise<TestUpstream> {
  return startUpstream(options.handler, { streaming: options.streaming === true });
}

/** Registers in the calling `describe` a `before` that starts an upstream and an `after` that closes it. */
export function useUpstream(options: UpstreamFixtureOptions = {}): UpstreamFixture {
  let upstream: TestUpstream | undefined;

  before(async () => {
    upstream = await startFixtureUpstream(options);
  });

  after(async () => {
    await upstream?.close();
    upstream = undefined;
  });

  return {
    get upstream() {
      return started(upstream, 'useUpstream: the upstream');
    },
  };
}

/**
 * Registers in the calling `describe` a `before` that starts an upstream and an in-process gateway
 * with every service at it, and an `after` that closes both, gateway first.
 */
export function useGateway(options: GatewayFixtureOptions = {}): GatewayFixture {
  let upstream: TestUpstream | undefined;
  let gateway: RunningGateway | undefined;

  before(async () => {
    upstream = await startFixtureUpstream(options);
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
      return started(upstream, 'useGateway: the upstream');
    },
    get gateway() {
      return started(gateway, 'useGateway: the gateway');
    },
  };
}

/** The metrics listener of a `useGateway` fixture, on an ephemeral loopback port. */
export interface MetricsFixture {
  readonly port: number;
}

/**
 * Registers in the calling `describe` a `before` that serves `fixture`'s metrics (`GET /metrics`)
 * and an `after` that closes it.
 */
export function useMetricsServer(fixture: GatewayFixture): MetricsFixture {
  let server: http.Server | undefined;
  let port: number | undefined;

  before(async () => {
    server = createMetricsServer(fixture.gateway.gateway.metrics.registry);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(() => {
    server?.close();
    server = undefined;
  });

  return {
    get port() {
      return started(port, 'useMetricsServer: the port');
    },
  };
}
