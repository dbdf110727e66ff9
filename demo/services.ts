/** A shop service the demo stands in for with a stub. */
export interface ServiceDefinition {
  /** The service's name in the gateway file, e.g. `product-service`. */
  readonly name: string;
  /** Its env prefix there: the demo sets `<ENV>_SERVICE_URL` for the gateway and reads `DEMO_<ENV>_PORT`. */
  readonly env: string;
  /** The shop's usual address of the service: the stub listens on its port by default. */
  readonly defaultUrl: string;
  /** Path the stub answers health probes on. */
  readonly healthPath: string;
}

/**
 * The four services of config/gateway.yaml that the demo stubs, keyed by the id a stub is started
 * with (`stub-services.js auth users …`). A test keeps names, env prefixes, URLs and health paths
 * equal to the gateway file's.
 */
export const SERVICES = {
  auth: { name: 'auth-service', env: 'AUTH', defaultUrl: 'http://localhost:4001', healthPath: '/actuator/health' },
  users: { name: 'user-service', env: 'USER', defaultUrl: 'http://localhost:8082', healthPath: '/actuator/health' },
  products: {
    name: 'product-service',
    env: 'PRODUCT',
    defaultUrl: 'http://localhost:8083',
    healthPath: '/actuator/health',
  },
  inventory: {
    name: 'inventory-service',
    env: 'INVENTORY',
    defaultUrl: 'http://localhost:8080',
    healthPath: '/health',
  },
} as const satisfies Record<string, ServiceDefinition>;

/** Id of a stubbed service in {@link SERVICES}. */
export type ServiceId = keyof typeof SERVICES;
