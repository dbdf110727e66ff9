import { expect } from 'chai';
import { ENV_SCHEMA } from '../../../src/config/index.js';
import { execForm, readDockerfile, readRepoFile, type DockerInstruction } from '../../helpers/dockerfile.js';

describe('Dockerfile', () => {
  const steps = readDockerfile();
  const lastStage = Math.max(...steps.map((step) => step.stage));
  const stage = (name: string): DockerInstruction[] => steps.filter((step) => step.stageName === name);
  const runtime = stage('runtime');
  const only = (keyword: string): string[] =>
    runtime.filter((step) => step.keyword === keyword).map((step) => step.args);

  it('when the image is built, then a build stage compiles and a node:24-slim runtime stage, the default target, installs production dependencies only', () => {
    expect(runtime[0]?.stage, 'runtime is the last stage, built when no target is named').to.equal(lastStage);
    const build = stage('build')
      .filter((step) => step.keyword === 'RUN')
      .map((step) => step.args);
    expect(build.some((args) => args.startsWith('npm ci'))).to.equal(true);
    expect(build).to.include('npm run build');
    expect(only('FROM')[0]).to.match(/^node:24-slim AS runtime$/);
    expect(only('RUN').some((args) => /npm ci .*--omit=dev/.test(args) && args.includes('--ignore-scripts'))).to.equal(
      true,
    );
    expect(only('COPY').some((args) => /^--from=build \/app\/dist \.\/dist$/.test(args))).to.equal(true);
  });

  it('when the build stage copies sources, then it copies every folder tsconfig.build.json compiles', () => {
    const include = (JSON.parse(readRepoFile('tsconfig.build.json')) as { include: string[] }).include;
    const copied = stage('build')
      .filter((step) => step.keyword === 'COPY')
      .map((step) => step.args.split(' ')[0]);
    expect(copied).to.include.members(include);
  });

  it('when the runtime stage is assembled, then it holds the gateway alone: nothing of the demo is copied, built or run', () => {
    for (const step of [...stage('build'), ...runtime])
      expect(`${step.keyword} ${step.args}`, step.stageName).not.to.match(/demo/i);
    const copiedFrom = only('COPY')
      .map((args) => /^--from=(\S+)/.exec(args)?.[1])
      .filter((from) => from !== undefined);
    expect(copiedFrom).to.deep.equal(['build']);
  });

  it("when compose builds the demo stage, then it holds only the demo's own build, runs a stub as a non-root user, and exists apart from runtime", () => {
    const demo = stage('demo');
    expect(demo.map((step) => step.keyword)).to.include.members(['FROM', 'COPY', 'USER', 'CMD']);
    expect(demo[0]!.stage).to.be.lessThan(lastStage);
    const demoBuild = stage('demo-build')
      .filter((step) => step.keyword === 'RUN')
      .map((step) => step.args);
    expect(demoBuild).to.deep.equal(['npm run build:demo']);
    const copies = demo.filter((step) => step.keyword === 'COPY').map((step) => step.args);
    expect(copies).to.deep.equal(['package.json ./', '--from=demo-build /app/dist-demo ./dist-demo']);
    expect(demo.find((step) => step.keyword === 'USER')!.args).not.to.match(/^(root|0)(:|$)/);
    expect(execForm(demo.find((step) => step.keyword === 'CMD')!.args)).to.deep.equal([
      'node',
      'dist-demo/demo/stub-services.js',
    ]);
  });

  it('when any stage starts, then from node:24-slim (Node 24 LTS) or from an earlier stage', () => {
    const names: string[] = [];
    for (const from of steps.filter((step) => step.keyword === 'FROM')) {
      const base = from.args.split(/\s+/)[0]!;
      expect(base === 'node:24-slim' || names.includes(base), `FROM ${from.args}`).to.equal(true);
      names.push(from.stageName);
    }
    expect(names).to.include.members(['build', 'demo', 'runtime']);
  });

  it('when the container runs, then as a non-root user, stopped by SIGTERM, with a HEALTHCHECK on /health and the gateway as its command', () => {
    const user = only('USER');
    expect(user).to.have.length(1);
    expect(user[0]).not.to.match(/^(root|0)(:|$)/);
    expect(runtime.findIndex((step) => step.keyword === 'USER')).to.be.lessThan(
      runtime.findIndex((step) => step.keyword === 'CMD'),
    );
    expect(only('STOPSIGNAL')).to.deep.equal(['SIGTERM']);
    const healthcheck = only('HEALTHCHECK');
    expect(healthcheck).to.have.length(1);
    expect(execForm(healthcheck[0]!).join(' ')).to.include("path:'/health'");
    expect(execForm(only('CMD')[0]!).at(-1)).to.equal('dist/src/index.js');
  });

  it('when the gateway runs in the image, then with the Node flags of `npm start`, the semi-space capped at 16 MiB', () => {
    const { scripts } = JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> };
    expect(execForm(only('CMD')[0]!)).to.deep.equal(scripts.start!.split(' '));
    expect(scripts.start).to.equal('node --max-semi-space-size=16 dist/src/index.js');
  });

  it("when the gateway starts in the image, then the default gateway file and its schema are where GATEWAY_CONFIG's default points from WORKDIR", () => {
    expect(only('WORKDIR')).to.deep.equal(['/app']);
    expect(ENV_SCHEMA.GATEWAY_CONFIG.defaultValue).to.equal('config/gateway.yaml');
    expect(only('COPY')).to.include('config/gateway.yaml config/gateway.schema.json ./config/');
  });

  it('when the image is inspected, then no ENV or ARG carries a secret', () => {
    const declared = steps.filter((step) => step.keyword === 'ENV' || step.keyword === 'ARG').map((step) => step.args);
    for (const args of declared) expect(args).not.to.match(/JWT_SECRET|SECRET|PASSWORD|TOKEN|REDIS_URL/i);
  });

  it('when the build context is sent, then dependencies, build output, git data and .env files stay out', () => {
    const ignored = readRepoFile('.dockerignore')
      .split('\n')
      .map((line) => line.trim());
    expect(ignored).to.include.members(['node_modules', 'dist', 'dist-demo', '.git', '.env', '.env.*']);
  });
});
