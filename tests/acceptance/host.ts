// What the shared acceptance suite (./scenarios.ts) needs of a host: the TypeScript Safe API
// (the method names and argument order of host/api/safe-base.ts) without the per-call options
// (AbortSignal, progress), which only the TypeScript hosts have, and a way to start instances.
// Each driver (./drivers/) gives this interface for one host: Node's `Safe` itself, the Rust
// host's `safe-wasmtime serve` (wasmtime or native) as a child process, and a Chromium page
// running dist/browser/safe-wasi.js. Every driver rejects with a `SafeError` carrying the
// host's own code, so the suite can compare codes across hosts.
import type {
  ByteRange,
  FileReplicas,
  FilesMap,
  Keypair,
  MultimapEntry,
  NrsMap,
  ProcessedFiles,
  RegisterEntry,
  SafeData,
} from '../../dist/index.js';

/** The hosts the suite runs against, in the order it runs them (and the ring of cross-host reads). */
export const HOST_NAMES = ['node', 'wasmtime', 'native', 'browser'] as const;

/** One of {@link HOST_NAMES}. */
export type HostName = (typeof HOST_NAMES)[number];

/** What a host can do besides the API every host has. */
export interface Capabilities {
  /**
   * It reads local paths (`storeFile`, `filesContainerCreateFrom`, `filesContainerAdd`,
   * `filesContainerSync`): Node and the Rust host; a page has none.
   */
  readonly localFiles: boolean;
  /**
   * `connect()` without `bootstrap` reads `$SAFE_HOME/network_contacts/default` (Node, the
   * Rust host); in a page the relay names the contacts instead.
   */
  readonly contactsFile: boolean;
}

/** Each host's capabilities, known before anything starts (so skips show when tests are collected). */
export const CAPABILITIES: Record<HostName, Capabilities> = {
  node: { localFiles: true, contactsFile: true },
  wasmtime: { localFiles: true, contactsFile: true },
  native: { localFiles: true, contactsFile: true },
  browser: { localFiles: false, contactsFile: false },
};

/** Option bag of `filesContainerCreateFrom` (no signal, no progress). */
export interface CreateFromOptions {
  recursive?: boolean;
  followLinks?: boolean;
}

/** Option bag of `filesContainerAdd` and `filesContainerAddFromRaw`. */
export interface AddOptions {
  force?: boolean;
  updateNrs?: boolean;
  followLinks?: boolean;
}

/** Option bag of `filesContainerSync`. */
export interface SyncOptions extends CreateFromOptions {
  delete?: boolean;
  updateNrs?: boolean;
}

/** Option bag of `filesContainerRemovePath`. */
export interface RemoveOptions {
  recursive?: boolean;
  updateNrs?: boolean;
}

/** A container change: the new version (null when nothing changed), what was done, the FilesMap. */
export type ContainerChange = [string | null, ProcessedFiles, FilesMap];

/** One Safe instance of a host: the API as the TypeScript `Safe` has it. */
export interface HostSafe {
  connect(options?: { bootstrap?: string[] }): Promise<void>;
  storeBytes(bytes: Uint8Array, mediaType?: string): Promise<string>;
  storeFile(path: string, mediaType?: string): Promise<string>;
  filesGet(url: string, range?: ByteRange): Promise<Uint8Array>;
  fetch(url: string, range?: ByteRange): Promise<SafeData>;
  inspect(url: string): Promise<SafeData[]>;
  checkReplicas(url: string): Promise<FileReplicas>;
  filesContainerCreate(): Promise<string>;
  filesContainerCreateFrom(location: string, dst?: string | null, options?: CreateFromOptions): Promise<[string, ProcessedFiles, FilesMap]>;
  filesContainerAdd(source: string, url: string, options?: AddOptions): Promise<ContainerChange>;
  filesContainerAddFromRaw(bytes: Uint8Array, url: string, options?: AddOptions): Promise<ContainerChange>;
  filesContainerSync(location: string, url: string, options?: SyncOptions): Promise<ContainerChange>;
  filesContainerRemovePath(url: string, options?: RemoveOptions): Promise<ContainerChange>;
  filesContainerGet(url: string): Promise<[string | null, FilesMap]>;
  nrsCreate(topName: string): Promise<string>;
  nrsAssociate(name: string, link: string): Promise<string>;
  nrsAdd(name: string, link: string): Promise<[string, boolean]>;
  nrsRemove(name: string): Promise<string>;
  nrsGet(name: string, version?: string | null): Promise<[string | null, NrsMap]>;
  nrsGetSubnamesMap(name: string, version?: string | null): Promise<NrsMap>;
  registerCreate(name: string | null, tag: number, contentType?: string): Promise<string>;
  registerRead(url: string): Promise<RegisterEntry[]>;
  registerReadEntry(url: string, hash: string): Promise<Uint8Array>;
  registerWrite(url: string, entry: Uint8Array, parents?: string[]): Promise<string>;
  multimapCreate(name: string | null, tag: number): Promise<string>;
  multimapInsert(url: string, entry: [Uint8Array, Uint8Array], replace?: string[]): Promise<string>;
  multimapGetByKey(url: string, key: Uint8Array): Promise<MultimapEntry[]>;
  multimapGetByHash(url: string, hash: string): Promise<MultimapEntry>;
  multimapRemove(url: string, hashes: string[]): Promise<string>;
  newKeypair(): Promise<Keypair>;
  getKeypair(): Promise<Keypair>;
  setKeypair(keypair: Keypair | string): Promise<void>;
  keysCreatePreloadTestCoins(amount: string): Promise<[string, Keypair]>;
  keysCreateAndPreload(amount: string, fromSecretKey?: string): Promise<[string, Keypair]>;
  keysBalance(secretKey: string): Promise<string>;
  keysTransfer(amount: string, fromSecretKey: string, toUrl: string): Promise<string>;
  close(): Promise<void>;
}

/** A running host. */
export interface Host {
  readonly name: HostName;
  readonly capabilities: Capabilities;
  /** A new instance, not connected; `timeoutSecs` bounds each of its operations (default 120). */
  open(timeoutSecs?: number): Promise<HostSafe>;
  /** Stops what the driver started (processes, pages); instances still open are closed. */
  stop(): Promise<void>;
}

/** The methods of {@link HostSafe}, for drivers that forward calls by name. */
export const METHODS = [
  'connect',
  'storeBytes',
  'storeFile',
  'filesGet',
  'fetch',
  'inspect',
  'checkReplicas',
  'filesContainerCreate',
  'filesContainerCreateFrom',
  'filesContainerAdd',
  'filesContainerAddFromRaw',
  'filesContainerSync',
  'filesContainerRemovePath',
  'filesContainerGet',
  'nrsCreate',
  'nrsAssociate',
  'nrsAdd',
  'nrsRemove',
  'nrsGet',
  'nrsGetSubnamesMap',
  'registerCreate',
  'registerRead',
  'registerReadEntry',
  'registerWrite',
  'multimapCreate',
  'multimapInsert',
  'multimapGetByKey',
  'multimapGetByHash',
  'multimapRemove',
  'newKeypair',
  'getKeypair',
  'setKeypair',
  'keysCreatePreloadTestCoins',
  'keysCreateAndPreload',
  'keysBalance',
  'keysTransfer',
  'close',
] as const satisfies ReadonlyArray<keyof HostSafe>;

/** Fails to compile when a method of {@link HostSafe} is missing from {@link METHODS}. */
const everyMethodListed: Exclude<keyof HostSafe, (typeof METHODS)[number]> extends never ? true : never = true;
void everyMethodListed;

/** Builds a {@link HostSafe} whose every method is `call(method, args)`. */
export function forwarding(call: (method: keyof HostSafe, args: unknown[]) => Promise<unknown>): HostSafe {
  const safe: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of METHODS) safe[method] = (...args: unknown[]) => call(method, args);
  return safe as unknown as HostSafe;
}
