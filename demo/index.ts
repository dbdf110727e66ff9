import { ensurePortFree, gatewayEnv, spawnGateway, waitUntilReady } from './gateway-process.js';
import { exitStatus } from './node-process.js';
import { DemoSettingsError, readDemoSettings } from './settings.js';
import { STUB_IDS, closeStubs, startStubs } from './stubs.js';
import { renderWalkthrough } from './walkthrough.js';

const START_TIMEOUT_MS = 15_000;
/** On top of the gateway's own grace, before it is killed outright. */
const STOP_MARGIN_MS = 5_000;

/**
 * `npm run demo`: the stub shop services in this process, the built gateway as a child in front of
 * them (auth required, signing secret shared), a curl walkthrough once it is ready. SIGINT or
 * SIGTERM is forwarded to the gateway, which drains; then the stubs close and the demo exits 0.
 */
async function main(): Promise<void> {
  const settings = readDemoSettings(process.env);
  await ensurePortFree(settings.gatewayPort);
  const stubs = await startStubs(STUB_IDS, settings);
  const gateway = spawnGateway(gatewayEnv(process.env, settings));
  // Last resort if this process ends some other way: never leave the gateway behind.
  process.once('exit', () => gateway.child.kill('SIGKILL'));

  let stopping = false;
  /** Stops the gateway (forwarding `signal`, if any), then the stubs; exits 0 only for a clean stop on a signal. */
  async function stop(signal: NodeJS.Signals | undefined, failure?: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    if (failure !== undefined) process.stderr.write(`demo: ${failure}\n`);
    const ended =
      signal === undefined
        ? await gateway.exited
        : await gateway.stop(signal, settings.shutdownGraceMs + STOP_MARGIN_MS);
    await closeStubs(stubs);
    // A gateway ended by the forwarded signal itself had not yet installed its handlers: still a clean stop.
    const clean = failure === undefined && signal !== undefined && (ended.code === 0 || ended.signal === signal);
    if (!clean && failure === undefined) process.stderr.write(`demo: the gateway stopped with ${exitStatus(ended)}\n`);
    process.exit(clean ? 0 : 1);
  }
  process.on('SIGINT', (signal) => void stop(signal));
  process.on('SIGTERM', (signal) => void stop(signal));
  void gateway.exited.then(() => stop(undefined));

  try {
    await waitUntilReady(gateway, settings.gatewayPort, START_TIMEOUT_MS);
  } catch (error) {
    await stop('SIGTERM', (error as Error).message);
    return;
  }
  if (!stopping) process.stdout.write(renderWalkthrough(settings.gatewayPort, stubs));
}

main().catch((error: unknown) => {
  if (!(error instanceof DemoSettingsError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
