// Unit tests of the local folder walk behind the FilesContainer operations, on a real
// temporary tree with nested folders, symlinks (to a file, to a folder, broken, and one that
// loops back).
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { walk } from '../dist/api/local-files.js';
import { SafeError } from '../dist/index.js';
import { tempDir } from './support.js';

const dir = tempDir('safe-walk-');
const root = join(dir.path, 'site');

beforeAll(() => {
  mkdirSync(join(root, 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<h1>hi</h1>');
  writeFileSync(join(root, 'sub', 'a.txt'), 'a');
  writeFileSync(join(root, 'sub', 'deeper', 'b.txt'), 'bb');
  chmodSync(join(root, 'sub', 'a.txt'), 0o444);
  symlinkSync('index.html', join(root, 'link-to-file'));
  symlinkSync('sub', join(root, 'link-to-dir'));
  symlinkSync('nowhere', join(root, 'broken'));
  symlinkSync('..', join(root, 'sub', 'deeper', 'up'));
});
afterAll(() => dir.remove());

const summary = (entries: Awaited<ReturnType<typeof walk>>) => entries.map((e) => `${e.kind}:${e.path}`);

describe('walk', () => {
  it('lists a folder recursively, keeping symlinks as links', async () => {
    const entries = await walk(root, { recursive: true, followLinks: false });
    expect(summary(entries)).toEqual([
      'dir:',
      'symlink:broken',
      'file:index.html',
      'symlink:link-to-dir',
      'symlink:link-to-file',
      'dir:sub',
      'file:sub/a.txt',
      'dir:sub/deeper',
      'file:sub/deeper/b.txt',
      'symlink:sub/deeper/up',
    ]);
    const byPath = new Map(entries.map((e) => [e.path, e]));
    expect(byPath.get('sub/deeper/b.txt')?.size).toBe(2);
    expect(byPath.get('sub/a.txt')?.readonly).toBe(true);
    expect(byPath.get('index.html')?.readonly).toBe(false);
    expect(byPath.get('link-to-dir')).toMatchObject({ symlinkTarget: 'sub', symlinkTargetType: 'dir' });
    expect(byPath.get('link-to-file')).toMatchObject({ symlinkTarget: 'index.html', symlinkTargetType: 'file' });
    expect(byPath.get('broken')).toMatchObject({ symlinkTarget: 'nowhere', symlinkTargetType: 'unknown' });
    expect(byPath.get('index.html')?.modified).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('lists only the top level when not recursive', async () => {
    const entries = await walk(root, { recursive: false, followLinks: false });
    expect(summary(entries)).toEqual(['dir:', 'symlink:broken', 'file:index.html', 'symlink:link-to-dir', 'symlink:link-to-file', 'dir:sub']);
  });

  it('follows links when asked, without looping forever', async () => {
    const entries = await walk(root, { recursive: true, followLinks: true });
    const paths = summary(entries);
    expect(paths).toContain('file:link-to-file');
    expect(paths).toContain('dir:link-to-dir');
    expect(paths).toContain('file:link-to-dir/a.txt');
    // A folder reached both directly and through a link is listed both ways.
    expect(paths).toContain('file:sub/deeper/b.txt');
    expect(paths).toContain('symlink:broken');
    // `sub/deeper/up` leads back to the root, an ancestor being walked: listed, not entered.
    expect(paths).toContain('dir:sub/deeper/up');
    expect(paths.filter((p) => p.startsWith('file:sub/deeper/up/'))).toEqual([]);
  });

  it('takes a single file as the location', async () => {
    const entries = await walk(join(root, 'index.html'), { recursive: true, followLinks: false });
    expect(summary(entries)).toEqual(['file:']);
    expect(entries[0]?.size).toBe(11);
  });

  it('says what is wrong with a location that is not there', async () => {
    const e = await walk(join(root, 'missing'), { recursive: true, followLinks: false }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SafeError);
    expect((e as SafeError).code).toBe('InvalidArgument');
    expect((e as SafeError).message).toMatch(/no such file or folder/);
  });
});
