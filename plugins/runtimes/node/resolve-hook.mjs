// Module resolution for Tarmac's Node.js runtime: what Lambda's Node.js runtimes bundle (the
// AWS SDK for JavaScript v3) is found after the function's own modules, for ES modules as
// for CommonJS (ESM ignores NODE_PATH). Registered by bootstrap.mjs with module.register();
// the folders come from TARMAC_NODE_RUNTIME_MODULES. A function's own node_modules win: the
// runtime's folders are tried only for a bare specifier that nothing else resolves.
import { pathToFileURL } from 'node:url';

let parents = [];

export async function initialize(data) {
  parents = (data?.dirs ?? []).map((dir) => pathToFileURL(dir.endsWith('/') ? dir : `${dir}/`).href);
}

function isBare(specifier) {
  return !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.includes(':');
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !isBare(specifier)) throw error;
    for (const parentURL of parents) {
      try {
        // Resolved as if imported from inside the folder: its node_modules lookup finds it.
        return await nextResolve(specifier, { ...context, parentURL: `${parentURL}index.mjs` });
      } catch {
        // the next folder
      }
    }
    throw error;
  }
}
