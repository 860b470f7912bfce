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
/** BENCH_FULLDUPLEX_CLI points the harness at another build's CLI (before/after comparisons). */
export const fullduplexCli = process.env.BENCH_FULLDUPLEX_CLI ?? `${repositoryRoot}bin/fullduplex.js`;
export const resultsDirectory = `${repositoryRoot}bench/results/`;
