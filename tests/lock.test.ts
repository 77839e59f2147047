// Unit tests of the writer-preferring RwLock: who may hold it together, and in which order
// waiters are served. Order is observed through the sequence of grants, never through timing.
import { describe, expect, it } from 'vitest';

import { RwLock } from '../dist/index.js';

/** Lets every pending promise reaction run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('RwLock', () => {
  it('lets readers hold it together', async () => {
    const lock = new RwLock();
    const a = await lock.read();
    const b = await lock.read();
    expect(lock.readers).toBe(2);
    a();
    b();
    expect(lock.readers).toBe(0);
  });

  it('gives a writer the lock alone', async () => {
    const lock = new RwLock();
    const w = await lock.write();
    const events: string[] = [];
    void lock.read().then((r) => (events.push('read'), r()));
    void lock.write().then((r) => (events.push('write'), r()));
    await settle();
    expect(events).toEqual([]);
    expect(lock.waiting).toBe(2);
    w();
    await settle();
    expect(events).toEqual(['read', 'write']);
  });

  it('makes a writer wait for running readers', async () => {
    const lock = new RwLock();
    const r1 = await lock.read();
    const r2 = await lock.read();
    let writing = false;
    void lock.write().then(() => (writing = true));
    await settle();
    r1();
    await settle();
    expect(writing).toBe(false);
    r2();
    await settle();
    expect(writing).toBe(true);
    expect(lock.writing).toBe(true);
  });

  it('queues new readers behind a waiting writer (no writer starvation)', async () => {
    const lock = new RwLock();
    const order: string[] = [];
    const r1 = await lock.read();
    const w = lock.write().then((release) => {
      order.push('writer');
      return release;
    });
    const r2 = lock.read().then((release) => {
      order.push('late reader');
      return release;
    });
    await settle();
    // The late reader could share with r1, but must not overtake the waiting writer.
    expect(order).toEqual([]);
    expect(lock.readers).toBe(1);
    r1();
    (await w)();
    (await r2)();
    expect(order).toEqual(['writer', 'late reader']);
  });

  it('serves waiters in arrival order, readers between writers together', async () => {
    const lock = new RwLock();
    const held = await lock.write();
    const log: string[] = [];
    const take = (kind: 'read' | 'write', name: string) =>
      (kind === 'read' ? lock.read() : lock.write()).then((release) => {
        log.push(`${name}+`);
        return release;
      });
    const ra = take('read', 'ra');
    const rb = take('read', 'rb');
    const w2 = take('write', 'w2');
    const rc = take('read', 'rc');
    held();
    await settle();
    // ra and rb hold it together; w2 waits for both; rc waits for w2.
    expect(log).toEqual(['ra+', 'rb+']);
    expect(lock.readers).toBe(2);
    (await ra)();
    await settle();
    expect(log).toEqual(['ra+', 'rb+']);
    (await rb)();
    await settle();
    expect(log).toEqual(['ra+', 'rb+', 'w2+']);
    (await w2)();
    await settle();
    expect(log).toEqual(['ra+', 'rb+', 'w2+', 'rc+']);
    (await rc)();
    expect(lock.readers + lock.waiting).toBe(0);
  });

  it('ignores a second release', async () => {
    const lock = new RwLock();
    const r1 = await lock.read();
    const r2 = await lock.read();
    r1();
    r1();
    expect(lock.readers).toBe(1);
    r2();
    expect(lock.readers).toBe(0);
  });

  it('releases when the guarded function throws', async () => {
    const lock = new RwLock();
    await expect(lock.withWrite(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(lock.writing).toBe(false);
    await expect(lock.withRead(() => 7)).resolves.toBe(7);
  });

  it('does not starve a writer under a steady stream of readers', async () => {
    const lock = new RwLock();
    let writerDone = false;
    let readersAfterWriterAsked = 0;
    const first = await lock.read();
    const writer = lock.write().then((release) => {
      writerDone = true;
      release();
    });
    // Readers keep arriving while the writer waits; none may be granted before it.
    const readers = Array.from({ length: 50 }, () =>
      lock.read().then((release) => {
        if (!writerDone) readersAfterWriterAsked++;
        release();
      }),
    );
    first();
    await Promise.all([writer, ...readers]);
    expect(writerDone).toBe(true);
    expect(readersAfterWriterAsked).toBe(0);
  });
});
