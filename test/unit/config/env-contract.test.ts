import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { DERIVED_VARIABLES, ENV_SCHEMA, loadConfig, type Config } from '../../../src/config/index.js';
import { createEnvReader, type EnvVariable } from '../../../src/config/parsers.js';
import { SERVICE_VARIABLES } from '../../../src/config/routing.js';

const LINES = readFileSync('.env.example', 'utf8').split('\n');
const SET = /^([A-Z][A-Z0-9_]*)=(.*)$/;
const COMMENTED = /^# ([A-Z][A-Z0-9_]*)=(.*)$/;

/** `[name, value]` of every line the pattern matches. */
function assignments(pattern: RegExp): Array<[string, string]> {
  return LINES.map((line) => pattern.exec(line))
    .filter((match) => match !== null)
    .map((match) => [match[1]!, match[2]!]);
}

/** What a derived variable decides: the services, routes and limits. */
const derivedPart = (config: Config): unknown => ({
  services: config.services,
  routes: config.routes,
  rateLimit: config.rateLimit,
});

describe('docs/configuration.md variables table against ENV_SCHEMA', () => {
  const page = readFileSync('docs/configuration.md', 'utf8');
  const start = page.indexOf('\n## Variables\n');
  const end = page.indexOf('\n## ', start + 1);
  const section = start === -1 ? '' : page.slice(start, end === -1 ? undefined : end);
  const rows = section
    .split('\n')
    .map((line) => /^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*) \|/.exec(line))
    .filter((match) => match !== null);

  it("when docs/configuration.md is read, then every ENV_SCHEMA variable has one row in its Variables table, whose default is the schema's", () => {
    for (const [name, variable] of Object.entries(ENV_SCHEMA)) {
      const row = rows.filter((match) => match[1] === name);
      expect(row, `docs/configuration.md row for ${name}`).to.have.length(1);
      const written = row[0]![2]!.trim();
      const value = written === '(none)' ? undefined : /^`([^`]*)`$/.exec(written)?.[1];
      const { read } = createEnvReader(value === undefined ? {} : { [name]: value });
      expect(read(name, variable as EnvVariable<unknown>), `${name}: ${written}`).to.deep.equal(variable.defaultValue);
    }
  });
});

describe('.env.example against ENV_SCHEMA', () => {
  const set = assignments(SET);
  const commented = assignments(COMMENTED);
  const defaults = loadConfig({});
  /** Every derived variable of the default gateway file: RATE_LIMIT_USER_MAX and each service's own. */
  const derived = [
    ...DERIVED_VARIABLES.filter((name) => !name.startsWith('<')),
    ...defaults.services.flatMap((service) => SERVICE_VARIABLES.map((suffix) => `${service.env}_${suffix}`)),
  ];

  it('when the file is read, then every ENV_SCHEMA variable is set exactly once, and nothing else is', () => {
    expect(set.map(([name]) => name).sort()).to.deep.equal(Object.keys(ENV_SCHEMA).sort());
  });

  it("when each value set is parsed as the gateway parses it, then it is that variable's default", () => {
    for (const [name, value] of set) {
      const { read, problems } = createEnvReader({ [name]: value });
      const variable = ENV_SCHEMA[name as keyof typeof ENV_SCHEMA] as EnvVariable<unknown>;
      expect(read(name, variable), `${name}=${value}`).to.deep.equal(variable.defaultValue);
      expect(problems, name).to.deep.equal([]);
    }
  });

  it('when a default follows another variable or the gateway file, then it is shown commented out, for every such variable', () => {
    expect(commented.map(([name]) => name).sort()).to.deep.equal([...derived].sort());
  });

  it("when a commented-out value is set, then the configuration is unchanged: the comment shows today's default", () => {
    for (const [name, value] of commented) {
      expect(derivedPart(loadConfig({ [name]: value })), `${name}=${value}`).to.deep.equal(derivedPart(defaults));
    }
  });

  it('when a value is changed, then the check above sees it (it can fail)', () => {
    expect(derivedPart(loadConfig({ PRODUCT_SERVICE_TIMEOUT_MS: '4999' }))).not.to.deep.equal(derivedPart(defaults));
  });
});
