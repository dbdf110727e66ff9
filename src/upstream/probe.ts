import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { Instance } from './instance.js';

/** What one probe of an instance's health path found. */
export interface ProbeResult {
  readonly status: 'healthy' | 'unhealthy';
  readonly httpStatus?: number;
  readonly latencyMs: number;
  readonly error?: string;
}

/** `GET healthPath` on `instance` (with the service's `Host`), within `timeoutMs`: healthy on a 2xx. */
export function probeInstance(instance: Instance, healthPath: string, timeoutMs: number): Promise<ProbeResult> {
  const { target } = instance;
  const started = performance.now();
  const latencyMs = (): number => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const transport = target.secure ? https : http;
    const request = transport.request({
      hostname: target.address,
      port: target.port,
      path: healthPath,
      method: 'GET',
      headers: { host: target.host },
      servername: target.servername,
      agent: instance.agent,
    });
    const timer = setTimeout(
      () => request.destroy(Object.assign(new Error('probe timed out'), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
    request.once('response', (response) => {
      clearTimeout(timer);
      response.resume();
      const httpStatus = response.statusCode ?? 0;
      resolve({
        status: httpStatus >= 200 && httpStatus < 300 ? 'healthy' : 'unhealthy',
        httpStatus,
        latencyMs: latencyMs(),
      });
    });
    request.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ status: 'unhealthy', latencyMs: latencyMs(), error: error.code ?? 'ERROR' });
    });
    request.end();
  });
}
