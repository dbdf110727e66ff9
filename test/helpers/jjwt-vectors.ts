import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The real jjwt 0.12.6's reading of each secret: the repository's copy of shared/interop/jjwt-key-vectors.tsv. */
export const KEY_VECTORS_PATH = fileURLToPath(new URL('../fixtures/jjwt-key-vectors.tsv', import.meta.url));

/** Where the original lives when shared/ sits beside the clone (CI and the main checkout); a plain clone lacks it. */
export const SHARED_KEY_VECTORS_PATH = fileURLToPath(
  new URL('../../../shared/interop/jjwt-key-vectors.tsv', import.meta.url),
);

/** One row of the vectors file (its README explains the columns). */
export interface KeyVector {
  /** Line number in the file, to name the row in a failing test. */
  readonly line: number;
  readonly secret: string;
  /** `base64`, `utf8`, or `service-fails:<exception>`. */
  readonly reading: string;
  readonly keyBytes: number | undefined;
  /** `HS256` … `HS512`, or `weak-key`. */
  readonly algorithm: string | undefined;
  readonly hex: string | undefined;
}

/**
 * Every row of a vectors file (the fixture by default); throws, naming the path, when the file is missing or a row is
 * malformed.
 */
export function readKeyVectors(path: string = KEY_VECTORS_PATH): KeyVector[] {
  if (!existsSync(path)) throw new Error(`jjwt key vectors not found at ${path}`);
  const vectors: KeyVector[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((text, index) => {
      if (text.trim() === '' || text.startsWith('#')) return;
      const columns = text.split('\t');
      if (columns.length !== 5)
        throw new Error(`${path}:${index + 1}: expected 5 tab-separated columns, got ${columns.length}`);
      const [secret, reading, keyBytes, algorithm, hex] = columns as [string, string, string, string, string];
      const absent = (value: string): string | undefined => (value === '-' ? undefined : value);
      vectors.push({
        line: index + 1,
        secret: JSON.parse(secret) as string,
        reading,
        keyBytes: absent(keyBytes) === undefined ? undefined : Number(keyBytes),
        algorithm: absent(algorithm),
        hex: absent(hex),
      });
    });
  if (vectors.length === 0) throw new Error(`${path} holds no vectors`);
  return vectors;
}
