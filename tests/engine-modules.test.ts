// The Node host's cache of the component's compiled core modules (host/engine/node/modules.ts):
// compiled once per process, lent to every engine worker, a failed compile not kept. The last
// test runs two real engine workers (dry runners, which need no network) on the shared modules.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { Safe } from '../dist/index.js';
import { componentEntry, coreModules } from '../dist/engine/node/modules.js';
import { tempDir } from './support.js';

const entry = componentEntry();
const coreNames = readdirSync(fileURLToPath(new URL('./', entry)))
  .filter((name) => name.startsWith('safe_client.core') && name.endsWith('.wasm'))
  .sort();

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the compiled component modules', () => {
  it('are every core module of the bindings, compiled once and then the same objects', async () => {
    expect(coreNames.length).toBeGreaterThan(0);
    const first = await coreModules(entry);
    expect(Object.keys(first).sort()).toEqual(coreNames);
    for (const module of Object.values(first)) expect(module).toBeInstanceOf(WebAssembly.Module);
    const again = await coreModules(entry);
    for (const name of coreNames) expect(again[name]).toBe(first[name]);
  });

  it('report a broken module, and compile again once it is repaired', async () => {
    const dir = tempDir('safe wasi modules ');
    try {
      const copy = join(dir.path, 'a dir with spaces');
      mkdirSync(copy);
      const source = fileURLToPath(new URL('./', entry));
      for (const name of coreNames) copyFileSync(join(source, name), join(copy, name));
      const broken = coreNames[0]!;
      writeFileSync(join(copy, broken), Buffer.from('not wasm'));
      const copyEntry = pathToFileURL(join(copy, 'safe_client.js'));

      await expect(coreModules(copyEntry)).rejects.toMatchObject({ name: 'CompileError' });
      writeFileSync(join(copy, broken), readFileSync(join(source, broken)));
      const repaired = await coreModules(copyEntry);
      expect(Object.keys(repaired).sort()).toEqual(coreNames);
    } finally {
      dir.remove();
    }
  });

  it('says where it looked when the bindings have no core modules next to them', async () => {
    const dir = tempDir();
    try {
      await expect(coreModules(pathToFileURL(join(dir.path, 'safe_client.js')))).rejects.toThrow(/no core modules \(safe_client\.core\*\.wasm\)/);
    } finally {
      dir.remove();
    }
  });

  it('serve two engine workers from the cache: nothing more is compiled, and both work', async () => {
    // This file's process compiled the modules above: new workers only get them lent.
    await coreModules(entry);
    const compile = vi.spyOn(WebAssembly, 'compile');
    const data = new Uint8Array(4096).fill(7);
    const urls: string[] = [];
    for (let i = 0; i < 2; i++) {
      const safe = Safe.dryRunner();
      try {
        urls.push(await safe.storeBytes(data));
      } finally {
        await safe.close();
      }
    }
    expect(urls[0]).toMatch(/^safe:\/\//);
    expect(urls[1]).toBe(urls[0]);
    // The spy sees this thread only: the main thread compiled nothing more for them.
    expect(compile).not.toHaveBeenCalled();
    expect(data.every((b) => b === 7)).toBe(true);
  });
});
