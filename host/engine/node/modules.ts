/**
 * The component's core modules, compiled once per process and lent to every Node engine worker.
 *
 * A `WebAssembly.Module` posted to a worker shares its compiled code with it. So the second and
 * later `Safe`s of a process (and the relay's engine) skip compiling the component, and their
 * workers run at full speed from the first call. V8 first runs each wasm function from a quick
 * baseline compile, and optimises it only once it is hot, in whichever instance that happens.
 * Without sharing, every new worker paid that warm-up again: about half a second of a fresh
 * worker's first 64 MiB put on a 2-core machine.
 *
 * The compiled modules stay cached for the life of the process, one set per component file.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The core modules of a component's bindings, by the file name `instantiate` asks for. */
export type CoreModules = Record<string, WebAssembly.Module>;

/** What the main thread sends a worker on its modules port. */
export type LentModules = { ok: true; modules: CoreModules } | { ok: false; message: string };

/**
 * The component's bindings: `pkg/js/safe_client.js`, or (for tests of the hosts against another
 * build, such as the fault-injection one in `pkg/faults/`) the file `SAFE_WASI_COMPONENT` names.
 */
export function componentEntry(): URL {
  const override = process.env['SAFE_WASI_COMPONENT'];
  return override ? pathToFileURL(resolve(override)) : new URL('../../../pkg/js/safe_client.js', import.meta.url);
}

const compiled = new Map<string, Promise<CoreModules>>();

/**
 * The core modules next to the bindings at `entry` (`<name>.core*.wasm`), compiled off the main
 * thread the first time they are asked for, and the same `Module`s every time after that. A
 * compile that failed is forgotten, so the next worker tries again.
 */
export function coreModules(entry: URL): Promise<CoreModules> {
  let modules = compiled.get(entry.href);
  if (modules === undefined) {
    modules = compileAll(entry);
    compiled.set(entry.href, modules);
    modules.catch(() => compiled.delete(entry.href));
  }
  return modules;
}

async function compileAll(entry: URL): Promise<CoreModules> {
  const dir = new URL('./', entry);
  const prefix = `${basename(entry.pathname, '.js')}.core`;
  const names = (await readdir(dir)).filter((name) => name.startsWith(prefix) && name.endsWith('.wasm'));
  if (names.length === 0) throw new Error(`no core modules (${prefix}*.wasm) next to ${entry.href}`);
  const modules = await Promise.all(names.map(async (name) => [name, await WebAssembly.compile(await readFile(new URL(name, dir)))] as const));
  return Object.fromEntries(modules);
}
