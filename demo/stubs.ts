import http, { type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SERVICES, type ServiceId } from './services.js';
import { createAuthStub } from './auth-stub.js';
import { INVENTORY, PRODUCTS, USERS } from './records.js';
import { createResourceStub } from './resource-stub.js';
import { readAuthServiceSigning } from './signing.js';
import { DemoSettingsError, stubPortVariable, type DemoSettings, type JwtSettings } from './settings.js';

/** Every stub service, in the order of the service registry. */
export const STUB_IDS = Object.keys(SERVICES) as ServiceId[];

/** A stub service listening on a socket. */
export interface RunningStub {
  readonly id: ServiceId;
  readonly name: string;
  readonly port: number;
  readonly server: http.Server;
}

/** The request handler of one stub service; health paths come from the gateway's service registry. */
export function createStubListener(id: ServiceId, jwt: JwtSettings): RequestListener {
  const { healthPath } = SERVICES[id];
  switch (id) {
    case 'auth':
      return createAuthStub({ signing: readAuthServiceSigning(jwt.secret), issuer: jwt.issuer });
    case 'users':
      return createResourceStub({ noun: 'User', basePath: '/users', healthPath, records: USERS });
    case 'products':
      return createResourceStub({ noun: 'Product', basePath: '/products', healthPath, records: PRODUCTS });
    case 'inventory':
      return createResourceStub({ noun: 'Inventory item', basePath: '/inventory', healthPath, records: INVENTORY });
  }
}

/** Starts stub `id` on `host:port` (0: any free port); rejects when the port cannot be had. */
export function startStub(
  id: ServiceId,
  options: { host: string; port: number; jwt: JwtSettings },
): Promise<RunningStub> {
  const server = http.createServer(createStubListener(id, options.jwt));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve({ id, name: SERVICES[id].name, port: (server.address() as AddressInfo).port, server });
    });
  });
}

/** Closes `stubs`, dropping any connection still open (a stub's requests are all short). */
export async function closeStubs(stubs: readonly RunningStub[]): Promise<void> {
  await Promise.all(
    stubs.map(
      ({ server }) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
}

/** Starts `ids` on their configured ports; when one cannot listen, closes the others and throws naming its variable. */
export async function startStubs(ids: readonly ServiceId[], settings: DemoSettings): Promise<RunningStub[]> {
  const started: RunningStub[] = [];
  for (const id of ids) {
    const port = settings.stubPorts[id];
    try {
      started.push(await startStub(id, { host: settings.stubHost, port, jwt: settings.jwt }));
    } catch (error) {
      await closeStubs(started);
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new DemoSettingsError(
        `${stubPortVariable(id)}: ${SERVICES[id].name} cannot listen on ${settings.stubHost}:${port} (${reason})`,
      );
    }
  }
  return started;
}
