import type { Logger } from 'pino';
import type { ServiceConfig } from '../config/index.js';
import type { GatewayMetrics } from '../metrics.js';
import { pickLeastLoaded } from './balancer.js';
import type { AddressLookup } from './discovery.js';
import { probeInstance } from './probe.js';
import { Instance, instanceKey, type InstanceAddress } from './instance.js';

/** Options of {@link InstanceSet}; `now` and `random` are injectable for tests. */
export interface InstanceSetOptions {
  readonly service: ServiceConfig;
  readonly lookup: AddressLookup;
  readonly refreshMs: number;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly now?: () => number;
  readonly random?: () => number;
}

/** One of the service's URLs, parsed once: what each of its addresses becomes. */
interface UrlTarget {
  readonly hostname: string;
  readonly port: number;
  readonly host: string;
  readonly secure: boolean;
}

/**
 * The instances of one service (DESIGN.md, "Upstreams"): every address its URLs' host names
 * resolve to, refreshed on an interval; passive health (ejection after consecutive failures,
 * never more than half at once) and, when configured, active health checks. A failed lookup keeps
 * that URL's last good addresses.
 */
export class InstanceSet {
  readonly #service: ServiceConfig;
  readonly #lookup: AddressLookup;
  readonly #logger: Logger;
  readonly #metrics: GatewayMetrics;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #targets: readonly UrlTarget[];
  /** Current instances by key; retired ones leave this map. */
  readonly #instances = new Map<string, Instance>();
  /** The same, as a list for the balancer; replaced (never mutated) when membership changes. */
  #list: readonly Instance[] = [];
  /** Last good addresses of each URL, by index in `#targets`. */
  readonly #addresses = new Map<number, readonly string[]>();
  readonly #timers: NodeJS.Timeout[] = [];
  #lookupFailing = false;
  #resolved = false;
  /** Set by {@link retire}: a lookup still under way then changes nothing. */
  #retired = false;
  readonly #ready: Promise<void>;

  constructor(options: InstanceSetOptions) {
    this.#service = options.service;
    this.#lookup = options.lookup;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#targets = options.service.urls.map(parseTarget);
    this.#metrics.watchInstances(this.#service.name, () => this.#list.map((instance) => instance.state(this.#now())));
    this.#ready = this.refresh();
    this.#timers.push(setInterval(() => void this.refresh(), options.refreshMs).unref());
    const interval = options.service.healthIntervalMs;
    if (interval !== undefined)
      this.#timers.push(setInterval(() => void this.#checkHealth(interval), interval).unref());
  }

  /** Resolves once the first lookup has ended, found or not. */
  ready(): Promise<void> {
    return this.#resolved ? Promise.resolve() : this.#ready;
  }

  /** The current instances (none retired). */
  list(): readonly Instance[] {
    return this.#list;
  }

  /**
   * An instance for the next request, other than `exclude` (a retry's first instance), by least
   * outstanding requests of two. When no instance is up (all ejected or unhealthy) every one is a
   * candidate again, as Envoy's panic threshold does: better a likely failure than a certain one.
   */
  pick(exclude?: Instance): Instance | undefined {
    const list = this.#list;
    if (list.length === 1) return list[0] === exclude ? undefined : list[0];
    const now = this.#now();
    const up = list.filter((instance) => instance !== exclude && instance.state(now) === 'up');
    return pickLeastLoaded(up.length > 0 ? up : list.filter((instance) => instance !== exclude), this.#random);
  }

  /**
   * A gateway-side failure of `instance`: ejected after `ejectFailures` in a row, unless half the instances are out
   * already.
   */
  failed(instance: Instance): void {
    if (instance.failed() < this.#service.ejectFailures || instance.retired) return;
    const now = this.#now();
    const ejected = this.#list.filter((candidate) => candidate.state(now) === 'ejected').length;
    if (ejected + 1 > Math.floor(this.#list.length / 2)) return;
    const ms = instance.eject(now, this.#service.ejectMs);
    this.#logger.warn(
      { service: this.#service.name, instance: instance.key, ejectedMs: ms },
      `instance ${instance.key} of ${this.#service.name} ejected`,
    );
  }

  /** Looks every URL's host name up again and applies the change: new addresses get traffic, gone ones get none. */
  async refresh(): Promise<void> {
    const failures: string[] = [];
    await Promise.all(
      this.#targets.map(async (target, index) => {
        try {
          this.#addresses.set(index, await this.#lookup(target.hostname));
        } catch (error) {
          failures.push(`${target.hostname}: ${(error as { code?: string }).code ?? (error as Error).message}`);
        }
      }),
    );
    this.#resolved = true;
    if (this.#retired) return;
    if (failures.length > 0 && !this.#lookupFailing) {
      this.#logger.warn(
        { service: this.#service.name, failures },
        `lookup for ${this.#service.name} failed; keeping its last good instances`,
      );
    } else if (failures.length === 0 && this.#lookupFailing) {
      this.#logger.info({ service: this.#service.name }, `lookup for ${this.#service.name} works again`);
    }
    this.#lookupFailing = failures.length > 0;
    this.#apply();
  }

  /** Stops the timers and closes every pool (requests in flight are cut: the gateway is closing). */
  close(): void {
    for (const timer of this.#timers) clearInterval(timer);
    for (const instance of this.#instances.values()) instance.agent.destroy();
  }

  /** Stops the timers and retires every instance: each pool closes once its last request (or tunnel) has ended. */
  retire(): void {
    this.#retired = true;
    for (const timer of this.#timers) clearInterval(timer);
    for (const instance of this.#instances.values()) instance.retire();
  }

  #apply(): void {
    const wanted = new Map<string, InstanceAddress>();
    this.#targets.forEach((target, index) => {
      for (const address of this.#addresses.get(index) ?? []) {
        const instance = {
          address,
          port: target.port,
          host: target.host,
          servername: target.hostname,
          secure: target.secure,
        };
        wanted.set(instanceKey(address, target.port), instance);
      }
    });
    let changed = false;
    for (const [key, instance] of this.#instances) {
      if (wanted.has(key)) continue;
      this.#instances.delete(key);
      instance.retire();
      this.#metrics.forgetInstance(this.#service.name, key);
      changed = true;
    }
    for (const [key, target] of wanted) {
      if (this.#instances.has(key)) continue;
      this.#instances.set(key, new Instance(target));
      changed = true;
    }
    if (!changed) return;
    this.#list = [...this.#instances.values()];
    this.#logger.info(
      { service: this.#service.name, instances: this.#list.map((instance) => instance.key) },
      `instances of ${this.#service.name} changed`,
    );
  }

  async #checkHealth(intervalMs: number): Promise<void> {
    const timeoutMs = Math.min(intervalMs, this.#service.timeoutMs);
    await Promise.all(
      this.#list.map(async (instance) => {
        const result = await probeInstance(instance, this.#service.healthPath, timeoutMs);
        const healthy = result.status === 'healthy';
        if (healthy === instance.healthy || instance.retired) return;
        instance.healthy = healthy;
        const details = {
          service: this.#service.name,
          instance: instance.key,
          httpStatus: result.httpStatus,
          error: result.error,
        };
        if (healthy) this.#logger.info(details, `instance ${instance.key} of ${this.#service.name} is healthy again`);
        else this.#logger.warn(details, `instance ${instance.key} of ${this.#service.name} failed its health check`);
      }),
    );
  }
}

function parseTarget(raw: string): UrlTarget {
  const url = new URL(raw);
  const secure = url.protocol === 'https:';
  // WHATWG keeps an IPv6 host in brackets; resolvers and sockets want it bare.
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { hostname, port: url.port === '' ? (secure ? 443 : 80) : Number(url.port), host: url.host, secure };
}
