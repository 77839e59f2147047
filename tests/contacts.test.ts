// Unit tests of bootstrap contact parsing and the contacts file location.
import { describe, expect, it } from 'vitest';

import { contactsPath, parseContact, safeHome } from '../dist/core/contacts.js';
import { SafeError } from '../dist/index.js';

const ID = 'a1'.repeat(32);

describe('parseContact', () => {
  it('reads host:port, with an optional pinned id', async () => {
    expect(await parseContact('127.0.0.1:12000')).toEqual({ ip: '127.0.0.1', port: 12000 });
    expect(await parseContact(`${ID}@127.0.0.1:1`)).toEqual({ ip: '127.0.0.1', port: 1, id: ID });
    expect(await parseContact(`${ID.toUpperCase()}@127.0.0.1:1`)).toEqual({ ip: '127.0.0.1', port: 1, id: ID });
    expect(await parseContact('[::1]:65535')).toEqual({ ip: '::1', port: 65535 });
  });

  it('resolves host names to addresses', async () => {
    const c = await parseContact('localhost:12000');
    expect(['127.0.0.1', '::1']).toContain(c.ip);
  });

  it('rejects malformed contacts with InvalidArgument', async () => {
    for (const bad of ['127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', ':12000', 'abc@127.0.0.1:1', '::1:12000', '']) {
      const e = await parseContact(bad).catch((e: unknown) => e);
      expect(e, bad).toBeInstanceOf(SafeError);
      expect((e as SafeError).code, bad).toBe('InvalidArgument');
    }
  });
});

describe('contacts file location', () => {
  it('is under SAFE_HOME, defaulting to ~/.safe', () => {
    expect(contactsPath({ SAFE_HOME: '/x/y' })).toBe('/x/y/network_contacts/default');
    expect(safeHome({})).toMatch(/\.safe$/);
  });
});
