import { expect } from 'chai';
import { execForm, readDockerfile, readRepoFile } from '../../helpers/dockerfile.js';

describe('Dockerfile', () => {
  const steps = readDockerfile();
  const runtimeStage = Math.max(...steps.map((step) => step.stage));
  const runtime = steps.filter((step) => step.stage === runtimeStage);
  const only = (keyword: string): string[] => runtime.filter((step) => step.keyword === keyword).map((step) => step.args);

  it('when the image is built, then a build stage compiles and a node:20 slim or alpine runtime stage installs production dependencies only', () => {
    expect(runtimeStage).to.be.at.least(1);
    const build = steps.filter((step) => step.stage < runtimeStage && step.keyword === 'RUN').map((step) => step.args);
    expect(build.some((args) => args.startsWith('npm ci'))).to.equal(true);
    expect(build).to.include('npm run build');
    expect(only('FROM')[0]).to.match(/^node:20-(slim|alpine)\b/);
    expect(only('RUN').some((args) => /npm ci .*--omit=dev/.test(args) && args.includes('--ignore-scripts'))).to.equal(true);
    expect(only('COPY').some((args) => /^--from=\w+ \/app\/dist \.\/dist$/.test(args))).to.equal(true);
  });

  it('when the build stage copies sources, then it copies every folder tsconfig.build.json compiles', () => {
    const include = (JSON.parse(readRepoFile('tsconfig.build.json')) as { include: string[] }).include;
    const copied = steps.filter((step) => step.stage < runtimeStage && step.keyword === 'COPY').map((step) => step.args.split(' ')[0]);
    expect(copied).to.include.members(include);
  });

  it('when the container runs, then as a non-root user, stopped by SIGTERM, with a HEALTHCHECK on /health and the gateway as its command', () => {
    const user = only('USER');
    expect(user).to.have.length(1);
    expect(user[0]).not.to.match(/^(root|0)(:|$)/);
    expect(runtime.findIndex((step) => step.keyword === 'USER')).to.be.lessThan(runtime.findIndex((step) => step.keyword === 'CMD'));
    expect(only('STOPSIGNAL')).to.deep.equal(['SIGTERM']);
    const healthcheck = only('HEALTHCHECK');
    expect(healthcheck).to.have.length(1);
    expect(execForm(healthcheck[0]!).join(' ')).to.include("path:'/health'");
    expect(execForm(only('CMD')[0]!)).to.deep.equal(['node', 'dist/src/index.js']);
  });

  it('when the image is inspected, then no ENV or ARG carries a secret', () => {
    const declared = steps.filter((step) => step.keyword === 'ENV' || step.keyword === 'ARG').map((step) => step.args);
    for (const args of declared) expect(args).not.to.match(/JWT_SECRET|SECRET|PASSWORD|TOKEN|REDIS_URL/i);
  });

  it('when the build context is sent, then dependencies, build output, git data and .env files stay out', () => {
    const ignored = readRepoFile('.dockerignore').split('\n').map((line) => line.trim());
    expect(ignored).to.include.members(['node_modules', 'dist', '.git', '.env', '.env.*']);
  });
});
