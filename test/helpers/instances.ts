import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One instance of a service: a real HTTP server on its own loopback address. */
export interface TestInstance {
  readonly address: string;
  readonly server: http.Server;
  /** Requests it received (health probes excluded). */
  served: number;
  /** Requests it is answering now. */
  inFlight: number;
  /** How it answers; replaceable during a test. */
  handler: (request: IncomingMessage, response: ServerResponse) => void;
  /** What `GET {healthPath}` answers. */
  healthStatus: number;
  /** Stops it at once: the listener closes and open connections are destroyed (a killed pod). */
  kill(): Promise<void>;
}

/** Instances of one service sharing one port (as pods behind one Service do). */
export interface TestInstances {
  readonly port: number;
  readonly instances: readonly TestInstance[];
  /** The instance on `address`. */
  at(address: string): TestInstance;
  close(): Promise<void>;
}

/** Answers JSON naming the instance. */
export function answerWithAddress(address: string): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    request.resume();
    request.once('end', () => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ instance: address, url: request.url }));
    });
  };
}

/**
 * Starts one server per address (127.0.0.2, 127.0.0.3 …), all on one port: the first listens on
 * an ephemeral port, the others on the same; a port taken on another address means a new try.
 */
export async function startInstances(
  addresses: readonly string[],
  healthPath = '/actuator/health',
): Promise<TestInstances> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const started: TestInstance[] = [];
    try {
      let port = 0;
      for (const address of addresses) {
        const instance = createInstance(address, healthPath);
        await new Promise<void>((resolve, reject) => {
          instance.server.once('error', reject);
          instance.server.listen(port, address, () => resolve());
        });
        port = (instance.server.address() as AddressInfo).port;
        started.push(instance);
      }
      return {
        port,
        instances: started,
        at: (address) => started.find((instance) => instance.address === address)!,
        close: async () => void (await Promise.all(started.map((instance) => instance.kill()))),
      };
    } catch {
      await Promise.all(started.map((instance) => instance.kill()));
    }
  }
  throw new Error(`no port free on every one of ${addresses.join(', ')}`);
}

function createInstance(address: string, healthPath: string): TestInstance {
  const instance: TestInstance = {
    address,
    served: 0,
    inFlight: 0,
    healthStatus: 200,
    handler: answerWithAddress(address),
    server: http.createServer((request, response) => {
      if (request.url === healthPath) {
        response.writeHead(instance.healthStatus, { 'content-type': 'application/json' }).end('{"status":"UP"}');
        return;
      }
      instance.served += 1;
      instance.inFlight += 1;
      response.once('close', () => (instance.inFlight -= 1));
      instance.handler(request, response);
    }),
    kill: () =>
      new Promise((resolve) => {
        if (!instance.server.listening) return resolve();
        instance.server.close(() => resolve());
        instance.server.closeAllConnections();
      }),
  };
  return instance;
}
