import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitUntilListening } from './redis.js';
import { closedPort } from './upstream.js';

/** A redis-server that speaks only TLS, with a self-signed certificate for 127.0.0.1. */
export interface TlsRedis {
  readonly url: string;
  /** Path of the certificate (it is its own CA): what NODE_EXTRA_CA_CERTS would name. */
  readonly caFile: string;
  readonly ca: Buffer;
  stop(): Promise<void>;
}

/** Makes a one-day certificate with openssl and starts redis-server on a spare loopback TLS port (no plain port). */
export async function startTlsRedis(): Promise<TlsRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gateway-tls-redis-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    const running = child;
    if (running !== undefined && running.exitCode === null && running.signalCode === null) {
      await new Promise((resolve) => {
        running.once('exit', resolve);
        running.kill('SIGKILL');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-keyout',
        key,
        '-out',
        cert,
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const port = await closedPort();
    child = spawn(
      'redis-server',
      [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--tls-cert-file',
        cert,
        '--tls-key-file',
        key,
        '--tls-ca-cert-file',
        cert,
        '--tls-auth-clients',
        'no',
      ],
      { stdio: 'ignore' },
    );
    await waitUntilListening(port);
    return { url: `rediss://127.0.0.1:${port}`, caFile: cert, ca: readFileSync(cert), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
