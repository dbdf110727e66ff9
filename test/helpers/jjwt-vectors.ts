import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The real jjwt 0.12.6's reading of each secret; shared/ sits beside the clone (CI and the main checkout). */
export const KEY_VECTORS_PATH = fileURLToPath(new URL('../../../shared/interop/jjwt-key-vectors.tsv', import.meta.url));

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

/** Every row of the vectors file; throws, naming the path, when the file is missing or a row is malformed. */
export function readKeyVectors(): KeyVector[] {
  if (!existsSync(KEY_VECTORS_PATH)) {
    throw new Error(`jjwt key vectors not found at ${KEY_VECTORS_PATH}: the shared/ directory must sit beside the repository (../shared)`);
  }
  const vectors: KeyVector[] = [];
  readFileSync(KEY_VECTORS_PATH, 'utf8').split('\n').forEach((text, index) => {
    if (text.trim() === '' || text.startsWith('#')) return;
    const columns = text.split('\t');
    if (columns.length !== 5) throw new Error(`${KEY_VECTORS_PATH}:${index + 1}: expected 5 tab-separated columns, got ${columns.length}`);
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
  if (vectors.length === 0) throw new Error(`${KEY_VECTORS_PATH} holds no vectors`);
  return vectors;
}
