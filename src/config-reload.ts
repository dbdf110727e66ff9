import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Gateway } from './app.js';
import { GatewayFileError, hashGatewayFile, readGatewayFile, type GatewayFileText } from './config/gateway-file.js';
import { ConfigError, loadConfig } from './config/index.js';

/** Events closer than this make one reload: an editor's save, or a ConfigMap's swap, is several. */
const DEBOUNCE_MS = 150;

/** What asked for a reload: SIGHUP reloads even an unchanged file; a change in the directory only a changed one. */
export type ReloadTrigger = 'signal' | 'file';

/**
 * How a reload ended: swapped in, refused (the running configuration stays), or skipped because the file is as last
 * read.
 */
export type ReloadOutcome = 'applied' | 'rejected' | 'unchanged';

/** Reloads of a running gateway's file; `close` stops watching. */
export interface ConfigReload {
  /** Reads the gateway file again and swaps it in when it is valid; reloads run one at a time, in order. */
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome>;
  close(): void;
}

/**
 * Reloads the gateway file of `gateway` on demand (SIGHUP) and whenever its directory changes.
 * The directory, not the file: a Kubernetes ConfigMap volume changes by renaming a new `..data`
 * symlink over the old one, and the file (`gateway.yaml -> ..data/gateway.yaml`) never changes
 * itself; editors often replace a file by renaming too. The file is validated by `loadConfig`
 * with the same `env` as at start-up, so only the file can change: env variables (JWT keys,
 * limits, URL overrides) are the process's and stay as they were. A bad file is refused with one
 * log line and `gateway_config_reloads_total{result="rejected"}`.
 */
export function watchGatewayFile(options: {
  env: Parameters<typeof loadConfig>[0];
  gateway: Gateway;
  logger: Logger;
  readFile?: (path: string) => GatewayFileText;
}): ConfigReload {
  const { env, gateway, logger, readFile = readGatewayFile } = options;
  const { metrics, routing } = gateway;
  const path = routing.current.gatewayFile.path;
  /** The hash of the last text read, loaded or refused: the same text again is not read twice. */
  let lastSeen = routing.current.gatewayFile.sha256;
  let queue: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  function reject(problems: readonly string[], trigger: ReloadTrigger): ReloadOutcome {
    metrics.configReload('rejected');
    logger.warn({ file: path, trigger, problems }, 'gateway file rejected; the running configuration stays');
    return 'rejected';
  }

  async function attempt(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    if (closed) return 'unchanged';
    let source: GatewayFileText;
    try {
      source = readFile(path);
    } catch (error) {
      return reject(error instanceof GatewayFileError ? error.problems : [(error as Error).message], trigger);
    }
    const sha256 = hashGatewayFile(source);
    if (trigger === 'file' && sha256 === lastSeen) return 'unchanged';
    lastSeen = sha256;
    const started = performance.now();
    const previous = routing.current.gatewayFile.sha256;
    try {
      const next = await routing.swap(loadConfig(env, () => source));
      metrics.configReload('applied');
      logger.info(
        {
          file: path,
          trigger,
          sha256,
          previous,
          services: next.services.map((service) => service.name),
          routes: next.routes.map((route) => `${route.prefix} -> ${route.service.name}${route.upstreamPath}`),
          durationMs: Math.round((performance.now() - started) * 10) / 10,
        },
        'gateway file reloaded',
      );
      return 'applied';
    } catch (error) {
      if (error instanceof ConfigError) return reject(error.problems, trigger);
      return reject([(error as Error).message], trigger);
    }
  }

  function reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const run = queue.then(() => attempt(trigger));
    queue = run.catch(() => undefined);
    return run;
  }

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), { persistent: false }, () => {
      clearTimeout(timer);
      timer = setTimeout(() => void reload('file'), DEBOUNCE_MS);
    });
    watcher.on('error', (error) =>
      logger.warn(
        { file: path, error: error.message },
        'cannot watch the gateway file any more; SIGHUP still reloads it',
      ),
    );
  } catch (error) {
    logger.warn({ file: path, error: (error as Error).message }, 'cannot watch the gateway file; SIGHUP reloads it');
  }

  return {
    reload,
    close() {
      closed = true;
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
