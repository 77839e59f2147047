// The CLI's table renderers (host/cli/output.ts), without a network.
import { describe, expect, it } from 'vitest';

import { filesTable, filesTree, humanBytes, processedTable, toJson } from '../dist/cli/output.js';

const map = {
  '/index.html': { type: 'text/html', size: '27', modified: 't1', link: 'safe://a' },
  '/img': { type: 'inode/directory', modified: 't2' },
  '/img/logo.png': { type: 'image/png', size: '5000', modified: 't3', link: 'safe://b' },
  '/my docs/read me.txt': { type: 'text/plain', size: '18', modified: 't4', link: 'safe://c' },
};

describe('CLI output', () => {
  it('lists what an operation did as sn_cli did, aligned, failures with their reason', () => {
    const table = processedTable({
      './site/index.html': { change: 'Added', link: 'safe://a' },
      './site/old.txt': { change: 'Removed', link: 'safe://o' },
      './site/img/logo.png': { change: 'Updated', link: 'safe://b' },
      './site/x': { change: 'Failed', reason: 'exists already' },
    });
    expect(table.split('\n')).toEqual([
      '+ ./site/index.html    safe://a',
      '- ./site/old.txt       safe://o',
      '* ./site/img/logo.png  safe://b',
      'E ./site/x             <exists already>',
    ]);
  });

  it('lists a folder level once per name, folders with a slash', () => {
    const rows = filesTable(map, '/').split('\n');
    expect(rows[0]).toMatch(/^TYPE\s+SIZE\s+MODIFIED\s+NAME$/);
    expect(rows.slice(1).map((r) => r.split(/\s{2,}/).at(-1))).toEqual(['index.html', 'img/', 'my docs/']);
    expect(rows.find((r) => r.endsWith('img/'))).toMatch(/^dir\s+t2\s+img\/$/);
    expect(filesTable(map, '/my docs').split('\n')[1]).toMatch(/^text\/plain\s+18\s+t4\s+read me\.txt$/);
    expect(filesTable(map, '/nothing')).toBe('');
  });

  it('draws a tree and counts folders and files', () => {
    expect(filesTree(map, 'safe://site')).toBe(
      ['safe://site', '├── img', '│   └── logo.png', '├── index.html', '└── my docs', '    └── read me.txt', '', '2 directories, 3 files'].join('\n'),
    );
  });

  it('writes sizes for people and JSON with bigints and bytes', () => {
    expect(humanBytes(0)).toBe('0 B');
    expect(humanBytes(1023)).toBe('1023 B');
    expect(humanBytes(20 * 1024 * 1024)).toBe('20.0 MiB');
    expect(JSON.parse(toJson({ tag: 1100n, big: 2n ** 64n - 1n, bytes: Uint8Array.of(0xab, 1) }))).toEqual({ tag: 1100, big: '18446744073709551615', bytes: 'ab01' });
  });
});
