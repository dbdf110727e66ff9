import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every `.ts` file under the repository folder `folder`. */
function sourcesUnder(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(ROOT, folder, name));
}

/**
 * The files a compilation of the repository folders `folders` reaches, each with the package or
 * built-in specifiers it imports: relative imports are followed (`./x.js` is `./x.ts`, as NodeNext
 * resolves them), the rest are listed. Paths are relative to the repository root.
 */
export function importClosure(folders: readonly string[]): Map<string, string[]> {
  const reached = new Map<string, string[]>();
  const pending = folders.flatMap(sourcesUnder);
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    const name = relative(ROOT, file);
    if (reached.has(name)) continue;
    const specifiers = ts
      .preProcessFile(readFileSync(file, 'utf8'), true, true)
      .importedFiles.map((entry) => entry.fileName);
    reached.set(
      name,
      specifiers.filter((specifier) => !specifier.startsWith('.')),
    );
    for (const specifier of specifiers.filter((entry) => entry.startsWith('.'))) {
      const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
      if (!existsSync(target)) throw new Error(`${name} imports ${specifier}, which is not a .ts file`);
      pending.push(target);
    }
  }
  return reached;
}

/** The relative imports of every `.ts` file under `folder`, as repository-relative paths. */
function importGraph(folder: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourcesUnder(folder)) {
    const specifiers = ts
      .preProcessFile(readFileSync(file, 'utf8'), true, true)
      .importedFiles.map((entry) => entry.fileName);
    const targets = specifiers
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
    graph.set(
      relative(ROOT, file),
      targets.map((target) => relative(ROOT, target)),
    );
  }
  return graph;
}

/** Each import cycle among the files under `folder` (type-only imports included), as the path that closes it. */
export function importCycles(folder: string): string[][] {
  const graph = importGraph(folder);
  const cycles: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string): void => {
    path.push(file);
    for (const target of graph.get(file) ?? []) {
      const at = path.indexOf(target);
      if (at !== -1) cycles.push([...path.slice(at), target]);
      else if (!done.has(target)) visit(target);
    }
    path.pop();
    done.add(file);
  };
  for (const file of graph.keys()) if (!done.has(file)) visit(file);
  return cycles;
}
