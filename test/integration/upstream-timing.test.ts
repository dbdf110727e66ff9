import http from 'node:http';
import { expect } from 'chai';
import { useGateway } from '../helpers/fixtures.js';
import { send } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';

/** Reads a response to the end, or reports how it ended early (a connection closed before any header counts as cut). */
function download(port: number, path: string): Promise<{ status: number; bytes: number; outcome: 'complete' | 'cut' }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
        let bytes = 0;
        response.on('data', (chunk: Buffer) => (bytes += chunk.length));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, bytes, outcome: 'complete' }));
        response.on('error', () => resolve({ status: response.statusCode ?? 0, bytes, outcome: 'cut' }));
        response.on('close', () => {
          if (!response.complete) resolve({ status: response.statusCode ?? 0, bytes, outcome: 'cut' });
        });
      })
      .on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ECONNRESET') resolve({ status: 0, bytes: 0, outcome: 'cut' });
        else reject(error);
      });
  });
}

describe('service timeout bounds waiting, idle timeout bounds silence, neither cuts flowing downloads', () => {
  const aborted: string[] = [];
  const fixture = useGateway({
    handler: (request, response) => {
      request.once('close', () => {
        if (!response.writableFinished) aborted.push(request.url ?? '');
      });
      if (request.url === '/products/trickle') {
        // 12 chunks, one every 100 ms: 1.2 s in all, longer than both timeouts, never idle for either.
        response.writeHead(200, { 'content-type': 'text/plain' });
        let sent = 0;
        const timer = setInterval(() => {
          response.write('x'.repeat(1024));
          if (++sent === 12) {
            clearInterval(timer);
            response.end();
          }
        }, 100);
        return;
      }
      if (request.url === '/products/reset-after-headers') {
        response.writeHead(200, { 'content-type': 'text/plain', 'content-length': 100 });
        response.flushHeaders();
        setTimeout(() => request.socket.destroy(), 20);
        return;
      }
      if (request.url?.startsWith('/products/stall') === true) {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.write('first bytes');
        return; // and never another byte
      }
      // '/products/hang' and '/inventory/hang': never answer
    },
    streaming: true,
    env: {
      PRODUCT_SERVICE_TIMEOUT_MS: '300',
      PRODUCT_SERVICE_IDLE_TIMEOUT_MS: '600',
      INVENTORY_SERVICE_TIMEOUT_MS: '10000',
    },
  });

  it('when a download keeps flowing for longer than the timeout, then it completes', async () => {
    const result = await download(fixture.gateway.port, '/api/v1/products/trickle');
    expect(result).to.deep.equal({ status: 200, bytes: 12 * 1024, outcome: 'complete' });
  });

  it('when the upstream sends no response headers within the 300 ms service timeout, then 502 SERVICE_TIMEOUT between 250 and 1000 ms', async () => {
    const started = Date.now();
    const response = await send({ port: fixture.gateway.port, path: '/api/v1/products/hang' });
    const elapsed = Date.now() - started;
    expect(response.status).to.equal(502);
    expect(response.json<{ error: { code: string } }>().error.code).to.equal('SERVICE_TIMEOUT');
    expect(elapsed).to.be.within(250, 1000);
  });

  it('when the upstream stalls mid-body past the 600 ms idle timeout, then the client connection is cut after the idle timeout, not left hanging', async () => {
    const started = Date.now();
    const result = await download(fixture.gateway.port, '/api/v1/products/stall');
    expect(result.status).to.equal(200);
    expect(result.bytes).to.equal('first bytes'.length);
    expect(result.outcome).to.equal('cut');
    expect(Date.now() - started).to.be.within(550, 1300);
  });

  it('when the upstream resets after its headers, then the client response is cut and the failure logged once as 502', async () => {
    const result = await download(fixture.gateway.port, '/api/v1/products/reset-after-headers');
    expect(result.outcome).to.equal('cut');
    await waitFor(() =>
      fixture.gateway.logs.some(
        (line) => line.path === '/api/v1/products/reset-after-headers' && line.msg === 'request completed',
      ),
    );
    const lines = fixture.gateway.logs.filter((line) => line.path === '/api/v1/products/reset-after-headers');
    expect(lines.map((line) => line.msg)).to.deep.equal([
      'upstream response failed mid-body; response cut',
      'request completed',
    ]);
    expect(lines[1]).to.include({ status: 502, upstreamStatus: 200, upstreamError: 'ECONNRESET' });
    const metrics = await fixture.gateway.gateway.metrics.registry.metrics();
    expect(metrics, 'the cut counted once').to.include(
      'gateway_upstream_errors_total{service="product-service",code="ECONNRESET"} 1\n',
    );
    const next = await download(fixture.gateway.port, '/api/v1/products/trickle');
    expect(next.outcome).to.equal('complete');
  });

  it('when the client goes away mid-body, then it is logged as 499, not as a failure of the service, and the upstream request is cancelled', async () => {
    const request = http.get(
      { host: '127.0.0.1', port: fixture.gateway.port, path: '/api/v1/products/stall-then-leave', agent: false },
      (response) => {
        response.once('data', () => request.destroy());
      },
    );
    request.on('error', () => {});
    await waitFor(() => aborted.includes('/products/stall-then-leave'), 2000);
    await waitFor(() =>
      fixture.gateway.logs.some(
        (line) => line.path === '/api/v1/products/stall-then-leave' && line.msg === 'request completed',
      ),
    );
    const lines = fixture.gateway.logs.filter((line) => line.path === '/api/v1/products/stall-then-leave');
    expect(lines.map((line) => line.msg)).to.deep.equal(['request completed']);
    expect(lines[0]).to.include({ status: 499, upstreamStatus: 200 });
    expect(lines[0]).not.to.have.property('upstreamError');
  });

  it('when the client goes away while waiting, then the upstream request is cancelled', async () => {
    const request = http.get({
      host: '127.0.0.1',
      port: fixture.gateway.port,
      path: '/api/v1/inventory/hang',
      agent: false,
    });
    request.on('error', () => {});
    await waitFor(() => fixture.upstream.seen.some((seen) => seen.url === '/inventory/hang'));
    request.destroy();
    await waitFor(() => aborted.includes('/inventory/hang'), 2000);
    await waitFor(() => fixture.gateway.logs.some((line) => line.path === '/api/v1/inventory/hang'));
    expect(fixture.gateway.logs.find((line) => line.path === '/api/v1/inventory/hang')?.status).to.equal(499);
  });
});
