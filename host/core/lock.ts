/**
 * A writer-preferring asynchronous readers-writer lock.
 *
 * Readers share the lock; a writer has it alone. A writer that asks waits for the readers
 * holding the lock to finish, and readers that ask after a writer queue behind that writer, so a
 * stream of readers cannot starve a writer. Waiters are served in arrival order: a batch of
 * readers between two writers runs together. Nothing here blocks the event loop: waiting is a
 * pending Promise.
 */

type Waiter = { kind: 'read' | 'write'; grant: () => void };

/** A held lock: call `release()` exactly once (extra calls are ignored). */
export interface Release {
  (): void;
}

export class RwLock {
  #readers = 0;
  #writer = false;
  readonly #queue: Waiter[] = [];

  /** How many readers hold the lock now. */
  get readers(): number {
    return this.#readers;
  }

  /** Whether a writer holds the lock now. */
  get writing(): boolean {
    return this.#writer;
  }

  /** How many callers wait for the lock. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Waits for a shared hold. */
  read(): Promise<Release> {
    return this.#acquire('read');
  }

  /** Waits for an exclusive hold. */
  write(): Promise<Release> {
    return this.#acquire('write');
  }

  /** Runs `fn` under a shared hold. */
  async withRead<T>(fn: () => Promise<T> | T): Promise<T> {
    const release = await this.read();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Runs `fn` under an exclusive hold. */
  async withWrite<T>(fn: () => Promise<T> | T): Promise<T> {
    const release = await this.write();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  #acquire(kind: 'read' | 'write'): Promise<Release> {
    return new Promise<Release>((resolve) => {
      const grant = () => resolve(this.#releaser(kind));
      // A reader may join current readers only if nobody waits: a waiting writer comes first.
      const free = kind === 'read' ? !this.#writer && this.#queue.length === 0 : !this.#writer && this.#readers === 0 && this.#queue.length === 0;
      if (free) {
        this.#take(kind);
        grant();
      } else {
        this.#queue.push({ kind, grant });
      }
    });
  }

  #take(kind: 'read' | 'write'): void {
    if (kind === 'read') this.#readers++;
    else this.#writer = true;
  }

  #releaser(kind: 'read' | 'write'): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (kind === 'read') this.#readers--;
      else this.#writer = false;
      this.#dispatch();
    };
  }

  /** Grants the lock to the waiters at the head of the queue that can hold it together. */
  #dispatch(): void {
    while (this.#queue.length > 0 && !this.#writer) {
      const next = this.#queue[0]!;
      if (next.kind === 'write') {
        if (this.#readers > 0) return;
        this.#queue.shift();
        this.#take('write');
        next.grant();
        return;
      }
      this.#queue.shift();
      this.#take('read');
      next.grant();
    }
  }
}
