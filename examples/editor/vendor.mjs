// Yjs for the page without a bundler: its ES module build and the lib0 modules it imports, served
// from node_modules under /vendor/. The page's import map sends 'yjs' to /vendor/yjs.mjs and each
// 'lib0/NAME' to /vendor/lib0/NAME.js, the same URL lib0's own relative imports ('./NAME.js') land
// on ('lib0/webcrypto' is its browser build, webcrypto.js). Only the files Yjs actually reaches are served, found by following the
// import statements from yjs.mjs once at startup.
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const IMPORT = /(?:^|[\s;}])(?:import|export)\s*(?:[\w*{}\s,$]*?\sfrom\s*)?['"]([^'"]+)['"]/g;

/**
 * @param {Record<string, string>} importMap the page's import map ("imports"), checked to cover
 *   every bare specifier Yjs uses (so an upgrade of Yjs that needs more fails here, not in a page)
 * @returns {Map<string, Buffer>} URL path -> file contents, for /vendor/yjs.mjs and every lib0 module
 *   it needs (each as /vendor/lib0/NAME.js, one URL per module so the page loads each once)
 */
export function vendorFiles(importMap) {
  const yjs = fileURLToPath(import.meta.resolve('yjs'));
  const lib0 = dirname(fileURLToPath(import.meta.resolve('lib0/array')));
  const files = new Map();
  const pending = [];
  const add = (urlPath, file) => {
    if (files.has(urlPath)) return;
    const contents = readFileSync(file);
    files.set(urlPath, contents);
    pending.push({ file, contents });
  };
  add('/vendor/yjs.mjs', yjs);
  while (pending.length > 0) {
    const { file, contents } = pending.pop();
    for (const [, specifier] of String(contents).matchAll(IMPORT)) {
      const name = lib0Module(specifier, file, lib0);
      if (name === undefined) throw new Error(`${file} imports ${specifier}, which the page cannot load`);
      if (!specifier.startsWith('.') && importMap[specifier] !== `/vendor/lib0/${name}.js`) {
        throw new Error(`the page's import map lacks "${specifier}": "/vendor/lib0/${name}.js"`);
      }
      add(`/vendor/lib0/${name}.js`, join(lib0, `${name}.js`));
    }
  }
  return files;
}

/** 'lib0/array' or a relative import inside lib0 ('./array.js', '../set.js') -> 'array', 'set'. */
function lib0Module(specifier, importer, lib0) {
  let name;
  if (specifier.startsWith('lib0/')) name = specifier.slice('lib0/'.length);
  else if (specifier.startsWith('.') && importer.startsWith(lib0 + sep)) {
    name = relative(lib0, resolve(dirname(importer), specifier))
      .split(sep)
      .join('/');
  } else return undefined;
  name = name.replace(/\.js$/, '');
  // Inside lib0 only: no '..' segment, nothing but plain file names.
  return /^[\w-][\w.-]*(\/[\w-][\w.-]*)*$/.test(name) && !name.includes('..') ? name : undefined;
}

/** The "imports" of the first <script type="importmap"> in `html`. */
export function importMapOf(html) {
  const match = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html);
  if (!match) throw new Error('the page has no import map');
  return JSON.parse(match[1]).imports;
}
