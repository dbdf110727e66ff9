import { expect } from 'chai';
import { importClosure } from '../../helpers/imports.js';
import { readRepoFile } from '../../helpers/dockerfile.js';

/** The folders a tsconfig compiles. */
function includeOf(tsconfig: string): string[] {
  return (JSON.parse(readRepoFile(tsconfig)) as { include: string[] }).include;
}

describe("the demo's build, apart from the gateway's", () => {
  it('when the gateway is built (tsconfig.build.json), then no demo file is compiled: the build neither includes nor imports one', () => {
    expect(includeOf('tsconfig.build.json')).not.to.include('demo');
    const compiled = [...importClosure(includeOf('tsconfig.build.json')).keys()];
    expect(compiled.some((file) => file.startsWith('src/'))).to.equal(true);
    expect(compiled.filter((file) => file.startsWith('demo/'))).to.deep.equal([]);
  });

  it("when the demo is built (tsconfig.demo.json), then it compiles demo/ to dist-demo/, apart from the gateway's dist/", () => {
    const options = (JSON.parse(readRepoFile('tsconfig.demo.json')) as { compilerOptions: { outDir: string } })
      .compilerOptions;
    expect(includeOf('tsconfig.demo.json')).to.deep.equal(['demo']);
    expect(options.outDir).to.equal('dist-demo');
  });

  it('when the demo stage runs without node_modules, then nothing the demo compiles imports a package, only node: built-ins', () => {
    const closure = importClosure(includeOf('tsconfig.demo.json'));
    expect([...closure.keys()]).to.include.members(['demo/stub-services.ts', 'demo/index.ts']);
    const packages = [...closure].flatMap(([file, specifiers]) =>
      specifiers.filter((specifier) => !specifier.startsWith('node:')).map((specifier) => `${file}: ${specifier}`),
    );
    expect(packages).to.deep.equal([]);
  });

  it('when the code is type-checked (tsconfig.json), then demo/ is included', () => {
    expect(includeOf('tsconfig.json')).to.include('demo');
  });
});
