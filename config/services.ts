/** A downstream service the gateway forwards to: data only, read by src/config at boot. */
export interface ServiceDefinition {
  /** Name used in logs, errors and health reports, e.g. `product-service`. */
  readonly name: string;
  /** Env prefix: `<ENV>_SERVICE_URL` and `<ENV>_SERVICE_TIMEOUT_MS` override the defaults. */
  readonly env: string;
  readonly defaultUrl: string;
  /** Path probed by `GET /health/services`. */
  readonly healthPath: string;
}

/** The shop's services, keyed by the id that routes refer to. */
export const SERVICES = {
  auth: { name: 'auth-service', env: 'AUTH', defaultUrl: 'http://localhost:4001', healthPath: '/actuator/health' },
  users: { name: 'user-service', env: 'USER', defaultUrl: 'http://localhost:8082', healthPath: '/actuator/health' },
  products: { name: 'product-service', env: 'PRODUCT', defaultUrl: 'http://localhost:8083', healthPath: '/actuator/health' },
  inventory: { name: 'inventory-service', env: 'INVENTORY', defaultUrl: 'http://localhost:8080', healthPath: '/health' },
} as const satisfies Record<string, ServiceDefinition>;

/** Id of a service in {@link SERVICES}. */
export type ServiceId = keyof typeof SERVICES;
