import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type RunningGateway } from './gateway.js';
import { waitFor } from './wait.js';

/** One service of a test's gateway file, with the one route to it. */
export interface TestRoute {
  /** `orders` names the service `orders-service`, env prefix `ORDERS`. */
  readonly name: string;
  readonly url: string;
  readonly prefix: string;
  readonly upstreamPath: string;
  /** Paths under the prefix with a per-IP limit of their own. */
  readonly limits?: Readonly<Record<string, number>>;
}

/** A gateway file (as JSON, which the gateway reads as YAML 1.2 does) with one service and one route per entry. */
export function gatewayFileText(routes: readonly TestRoute[]): string {
  return `${JSON.stringify(
    {
      services: routes.map((route) => ({
        name: `${route.name}-service`,
        env: route.name.toUpperCase(),
        urls: [route.url],
        healthPath: '/health',
      })),
      routes: routes.map((route) => ({
        prefix: route.prefix,
        service: `${route.name}-service`,
        upstreamPath: route.upstreamPath,
        ...(route.limits !== undefined && {
          paths: Object.entries(route.limits).map(([path, limit]) => ({ path, limit })),
        }),
      })),
    },
    null,
    2,
  )}\n`;
}

/** How the gateway file is laid out in its directory. */
export type FileLayout = 'file' | 'configmap';

/** A test's gateway file in a temporary directory of its own. */
export interface GatewayFileDir {
  /** What `GATEWAY_CONFIG` names. */
  readonly path: string;
  /** Replaces the file's text, as its layout changes: in place, or as the kubelet updates a ConfigMap volume. */
  write(text: string): void;
  remove(): void;
}

/**
 * A gateway file in a new temporary directory. `configmap` lays it out as a Kubernetes ConfigMap
 * volume does and updates it the same way (kubelet's AtomicWriter, pkg/volume/util/atomic_writer.go):
 * the data goes into a new `..<timestamp>` directory, a `..data_tmp` symlink to it is renamed over
 * `..data`, and `gateway.yaml -> ..data/gateway.yaml` never changes.
 */
export function createGatewayFileDir(layout: FileLayout): GatewayFileDir {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-file-'));
  const path = join(dir, 'gateway.yaml');
  let version = 0;
  let current: string | undefined;
  return {
    path,
    write(text) {
      if (layout === 'file') {
        writeFileSync(path, text);
        return;
      }
      version += 1;
      const data = `..2026_01_01_00_00_00.${String(version).padStart(9, '0')}`;
      mkdirSync(join(dir, data));
      writeFileSync(join(dir, data, 'gateway.yaml'), text);
      symlinkSync(data, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      if (current === undefined) symlinkSync(join('..data', 'gateway.yaml'), path);
      else rmSync(join(dir, current), { recursive: true });
      current = data;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The reloads a gateway has logged so far. */
export function reloadLines(gateway: RunningGateway, outcome: 'applied' | 'rejected'): Array<Record<string, unknown>> {
  const msg =
    outcome === 'applied' ? 'gateway file reloaded' : 'gateway file rejected; the running configuration stays';
  return gateway.logs.filter((line) => line.msg === msg);
}

/** Waits until `gateway` has logged `count` reloads with `outcome` (1 s: what a reload may take). */
export async function waitForReloads(
  gateway: RunningGateway,
  outcome: 'applied' | 'rejected',
  count = 1,
): Promise<void> {
  await waitFor(() => reloadLines(gateway, outcome).length >= count, 1000);
}

/** The gateway and gateway file of the calling suite's current test. */
export interface ReloadingGatewayFixture {
  readonly gateway: RunningGateway;
  readonly file: GatewayFileDir;
}

/**
 * Registers in the calling `describe` a `beforeEach` that writes the gateway file `routes()` gives
 * (in `layout`) and starts an in-process gateway on it that reloads it, and an `afterEach` that
 * closes the gateway and removes the file.
 */
export function useReloadingGateway(options: {
  routes: () => readonly TestRoute[];
  layout?: FileLayout;
  env?: () => Record<string, string>;
}): ReloadingGatewayFixture {
  let gateway: RunningGateway | undefined;
  let file: GatewayFileDir | undefined;

  beforeEach(async () => {
    file = createGatewayFileDir(options.layout ?? 'file');
    file.write(gatewayFileText(options.routes()));
    gateway = await startGateway({ ...options.env?.(), GATEWAY_CONFIG: file.path }, { reload: true });
  });

  afterEach(async () => {
    await gateway?.close();
    file?.remove();
    gateway = undefined;
    file = undefined;
  });

  return {
    get gateway() {
      if (gateway === undefined) throw new Error('useReloadingGateway: the gateway is read outside a test');
      return gateway;
    },
    get file() {
      if (file === undefined) throw new Error('useReloadingGateway: the file is read outside a test');
      return file;
    },
  };
}
