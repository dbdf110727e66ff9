import type { RequestListener } from 'node:http';
import { pathOf, receivedHeaders, sendJson } from './exchange.js';

/** Options of a stub service that lists records under one path. */
export interface ResourceStubOptions {
  /** Singular noun for messages, e.g. `Product`. */
  readonly noun: string;
  /** The collection path, e.g. `/products`. */
  readonly basePath: string;
  readonly healthPath: string;
  readonly records: ReadonlyArray<{ readonly id: number }>;
}

/**
 * A read-only stand-in for a shop service: `GET {basePath}` lists the records, `GET {basePath}/{id}`
 * answers one or 404. Every answer echoes the correlation and `x-user-*` headers that arrived.
 */
export function createResourceStub(options: ResourceStubOptions): RequestListener {
  const { noun, basePath, healthPath, records } = options;
  const byId = new Map(records.map((record) => [String(record.id), record]));

  return (request, response) => {
    const path = pathOf(request);
    if (request.method === 'GET' && path === healthPath) return sendJson(response, 200, { status: 'UP' });
    const received = receivedHeaders(request);
    const rest = path === basePath ? '' : path.startsWith(`${basePath}/`) ? path.slice(basePath.length + 1) : undefined;
    if (rest === undefined || rest.includes('/'))
      return sendJson(response, 404, { message: `No handler for ${path}`, received });
    if (request.method !== 'GET') return sendJson(response, 405, { message: 'Method not allowed', received });
    if (rest === '') return sendJson(response, 200, { data: records, received });
    const record = byId.get(rest);
    if (record === undefined) return sendJson(response, 404, { message: `${noun} ${rest} not found`, received });
    sendJson(response, 200, { data: record, received });
  };
}
