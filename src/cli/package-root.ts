import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root folder (the one holding examples/), from dist/ or from a test build alike. */
export function packageRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    if (existsSync(join(folder, 'package.json')) && existsSync(join(folder, 'examples'))) return folder;
    folder = dirname(folder);
  }
  throw new Error('cannot find the fullduplex package root (examples/ and package.json)');
}
