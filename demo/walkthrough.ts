import { DEMO_PASSWORD, USERS } from './records.js';
import type { RunningStub } from './stubs.js';

/** The first line the demo prints once everything answers. */
export const READY_LINE = 'QeetMart demo is running.';

/** What the demo prints once the gateway is ready: where everything listens, then three curl calls to try. */
export function renderWalkthrough(gatewayPort: number, stubs: readonly RunningStub[]): string {
  const gateway = `http://127.0.0.1:${gatewayPort}`;
  const user = USERS[0]!;
  const login = JSON.stringify({ email: user.email, password: DEMO_PASSWORD });
  return [
    '',
    READY_LINE,
    `  api-gateway          ${gateway}`,
    ...stubs.map((stub) => `  ${stub.name.padEnd(20)} port ${stub.port} (stub)`),
    '',
    `1. Log in (stub users: ${USERS.map((entry) => entry.email).join(', ')}; password ${DEMO_PASSWORD}):`,
    `   TOKEN=$(curl -s -X POST ${gateway}/api/v1/auth/login -H 'content-type: application/json' \\`,
    `     -d '${login}' | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).accessToken')`,
    '2. Call a protected route with the token; the service echoes the x-user-* headers the gateway added:',
    `   curl -s ${gateway}/api/v1/products/1 -H "Authorization: Bearer $TOKEN"`,
    '3. The same call without a token is refused by the gateway (401), the service never sees it:',
    `   curl -s -i ${gateway}/api/v1/products/1`,
    '',
    `Also: ${gateway}/health/services, ${gateway}/info. Ctrl-C stops everything.`,
    '',
  ].join('\n');
}
