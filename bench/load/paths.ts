// Where things are, from the compiled file's location (.build/bench/load/paths.js).
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const compiledBench = fileURLToPath(new URL('../', import.meta.url));

export function compiledServer(name: string): string {
  return `${compiledBench}servers/${name}.js`;
}

export const memoryProbeUrl = new URL('../servers/memory-probe.js', import.meta.url).href;
export const loadGeneratorScript = `${here}load-generator.js`;
export const fullduplexCli = `${repositoryRoot}bin/fullduplex.js`;
export const resultsDirectory = `${repositoryRoot}bench/results/`;
