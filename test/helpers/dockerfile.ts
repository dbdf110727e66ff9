import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A file of the repository, as text. */
export function readRepoFile(path: string): string {
  return readFileSync(ROOT + path, 'utf8');
}

/** One instruction of the Dockerfile, continuation lines joined. */
export interface DockerInstruction {
  readonly keyword: string;
  readonly args: string;
  /** Index of the build stage (one per FROM), from 0. */
  readonly stage: number;
  /** The stage's `AS` name ('' when it has none). */
  readonly stageName: string;
}

/** The Dockerfile's instructions, comments dropped. */
export function readDockerfile(): DockerInstruction[] {
  const lines = readRepoFile('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim());
  let stage = -1;
  let stageName = '';
  const instructions: DockerInstruction[] = [];
  for (const line of lines) {
    if (line === '' || line.startsWith('#')) continue;
    const [keyword = '', ...rest] = line.split(/\s+/);
    if (keyword.toUpperCase() === 'FROM') {
      stage += 1;
      stageName = /\sAS\s+(\S+)$/i.exec(line)?.[1] ?? '';
    }
    instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), stage, stageName });
  }
  return instructions;
}

/** The exec-form (JSON array) command of `HEALTHCHECK ... CMD [...]` or `CMD [...]`. */
export function execForm(args: string): string[] {
  const start = args.indexOf('[');
  return JSON.parse(args.slice(start)) as string[];
}
