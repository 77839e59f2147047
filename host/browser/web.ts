/**
 * The few Web APIs the browser host uses, typed here rather than through TypeScript's DOM
 * library: the host is compiled with Node's types (one tsconfig for all of host/), and the DOM
 * and WebWorker libraries clash with them and with each other.
 */

/** A Web Worker, as the page sees it. */
export interface WebWorker {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'error', listener: (event: { message?: string }) => void): void;
  terminate(): void;
}

/** A browser WebSocket. */
export interface WebSocketLike {
  binaryType: 'arraybuffer' | 'blob';
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array | string): void;
  close(code?: number, reason?: string): void;
  onopen: (() => void) | null;
  onmessage: ((event: { data: ArrayBuffer | string }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: (() => void) | null;
}

/** The worker's own global scope. */
export interface WorkerScope {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
}

interface WebGlobals {
  Worker: new (url: URL, options: { type: 'module'; name?: string }) => WebWorker;
  WebSocket: new (url: string) => WebSocketLike;
  FileReaderSync: new () => { readAsArrayBuffer(blob: Blob): ArrayBuffer };
  MessageChannel: new () => { port1: { onmessage: (() => void) | null }; port2: { postMessage(message: unknown): void } };
}

/** The Web APIs of the current global scope (a page or a worker). */
export const web = globalThis as unknown as WebGlobals;

let channel: InstanceType<WebGlobals['MessageChannel']> | undefined;
const tasks: Array<{ run: () => void; live: boolean }> = [];

/**
 * Runs `f` in a task of its own, soon (a message to itself, the browser's `setImmediate`:
 * nested `setTimeout(0)`s are clamped to 4 ms). Returns a function that cancels it.
 */
export function soon(f: () => void): () => void {
  if (!channel) {
    channel = new web.MessageChannel();
    channel.port1.onmessage = () => {
      for (const task of tasks.splice(0)) if (task.live) task.run();
    };
  }
  const task = { run: f, live: true };
  tasks.push(task);
  if (tasks.length === 1) channel.port2.postMessage(null);
  return () => {
    task.live = false;
  };
}
