import { SERVICES, type ServiceId } from './services.js';
import { DemoSettingsError, readDemoSettings } from './settings.js';
import { STUB_IDS, closeStubs, startStubs } from './stubs.js';

/** The stubs named on the command line (all of them when none is), or a refusal naming the unknown ones. */
function selectStubs(names: readonly string[]): ServiceId[] {
  if (names.length === 0) return STUB_IDS;
  const unknown = names.filter((name) => !(STUB_IDS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new DemoSettingsError(
      `unknown stub ${unknown.map((name) => JSON.stringify(name)).join(', ')}: choose from ${STUB_IDS.join(', ')}`,
    );
  }
  return [...new Set(names as ServiceId[])];
}

/**
 * Runs stub shop services without the gateway, any of them in one process:
 * `node dist-demo/demo/stub-services.js [auth|users|products|inventory …]` (no argument: all four),
 * each on its `DEMO_<NAME>_PORT` and `DEMO_STUB_HOST`. docker-compose runs one per container.
 */
async function main(): Promise<void> {
  const settings = readDemoSettings(process.env);
  const stubs = await startStubs(selectStubs(process.argv.slice(2)), settings);
  for (const stub of stubs) {
    process.stdout.write(
      `${stub.name} stub listening on ${settings.stubHost}:${stub.port} (health ${SERVICES[stub.id].healthPath})\n`,
    );
  }
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void closeStubs(stubs).then(() => process.exit(0));
  };
  // As PID 1 in a container, a process that installs no handler ignores SIGTERM.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  if (!(error instanceof DemoSettingsError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
