/**
 * `Safe`: the user-facing API. Each method checks its arguments, takes the instance's lock
 * (`connect` and `close` write, everything else reads), and runs its operation in the client
 * component through the engine worker.
 *
 * The lock is what makes one `Safe` safe to share across concurrent async code: two `fetch`es
 * run at once, a `connect` waits for running reads and holds back new ones until it is done,
 * and `close` first rejects what is in flight, then takes the lock and stops the engine.
 *
 * This class is the same in every host; what differs comes in as a {@link Platform} from the
 * host's own `Safe` (./safe.ts for Node, host/browser/safe.ts for browsers), which only
 * constructs it. Nothing here imports a platform API.
 */
import { SafeError } from '../core/errors.js';
import { RwLock } from '../core/lock.js';
import type * as Wit from '../../pkg/js/interfaces/safe-client-client.js';
import type { Engine } from '../engine/engine.js';
import type { Request, ResponseTo, Sendable } from '../engine/protocol.js';
import * as args from './args.js';
import { fileReplicas, filesMap, fromHex, networkInfo, processedFiles, safeData, toWitContact, nrsMap as toNrsMap } from './convert.js';
import type { LocalFiles, Platform } from './platform.js';
import { SafeUrl } from './safe-url.js';
import { openFileStream, type ToPathOptions } from './stream.js';
import type {
  ByteRange,
  CallOptions,
  ConnectOptions,
  FilesContainerAddOptions,
  FilesContainerOptions,
  FilesContainerRemoveOptions,
  FilesContainerSyncOptions,
  FileReplicas,
  FilesMap,
  Keypair,
  MultimapEntry,
  NetworkInfo,
  NrsMap,
  ProcessedFiles,
  RegisterEntry,
  SafeData,
  SafeOptions,
  XorUrlBase,
} from './types.js';

const BASES: readonly XorUrlBase[] = ['base32z', 'base32', 'base64'];
const DEFAULT_TIMEOUT_SECS = 120;
/** About 136 years: the timeout in milliseconds must fit the component's u64. */
const MAX_TIMEOUT_SECS = 2 ** 32;

/** Stops the engine of a `Safe` that was garbage-collected without `close()`. */
const finalizer = new FinalizationRegistry<Engine>((engine) => engine.terminate());

let instances = 0;

/**
 * What {@link SafeBase.parseAndResolveUrl} gives (sn_api's `parse_and_resolve_url`): the URL as
 * parsed, and what its NRS name resolves to.
 */
export interface ResolvedUrl {
  /** The URL as given, parsed (no network). */
  parsed: SafeUrl;
  /**
   * For an NRS URL: the link its name resolves to, following names that link to names, with
   * the URL's path after the link's own (`safe://mysite/a.html` -> `safe://hy...?v=.../a.html`);
   * a top name without a link resolves to its NRS map's XOR-URL. For a XOR-URL: the same URL.
   */
  resolved: SafeUrl;
}

/**
 * A client of the Safe Network, on the platform its host gives: use the host's `Safe` (the
 * package's for Node, `dist/browser/safe-wasi.js`'s in a browser), which is this class.
 */
export class SafeBase implements AsyncDisposable {
  readonly #lock = new RwLock();
  readonly #platform: Platform;
  readonly #engine: Engine;
  readonly #instance = ++instances;
  #calls = 0;
  readonly #dryRun: boolean;
  #connected = false;
  #closed = false;
  #network: NetworkInfo | undefined;

  /**
   * @param platform the host's platform
   * @param xorurlBase the base of the XOR-URLs this client writes: `'base32z'` (default, also
   *   for `null`), `'base32'` or `'base64'`
   * @param timeoutSecs how long an operation may take before it fails with `Timeout`
   *   (default 120, also for `null`)
   * @param options `{ dryRun }`: see {@link SafeBase.dryRunner}
   */
  protected constructor(platform: Platform, xorurlBase: XorUrlBase | null = null, timeoutSecs: number | null = null, options: SafeOptions = {}) {
    this.#platform = platform;
    if (options === null || typeof options !== 'object') throw new SafeError('InvalidArgument', 'options must be an object, e.g. { dryRun: true }');
    this.#dryRun = args.flag(options.dryRun, 'dryRun', false);
    const base = xorurlBase ?? 'base32z';
    if (!BASES.includes(base)) {
      throw new SafeError('InvalidArgument', `xorurlBase must be one of ${BASES.join(', ')} or null, got ${String(xorurlBase)}`);
    }
    const timeout = timeoutSecs ?? DEFAULT_TIMEOUT_SECS;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0 || timeout > MAX_TIMEOUT_SECS) {
      throw new SafeError('InvalidArgument', `timeoutSecs must be a number of seconds above 0 and at most ${MAX_TIMEOUT_SECS}, or null, got ${String(timeoutSecs)}`);
    }
    this.#engine = platform.engine({ timeoutMs: Math.ceil(timeout * 1000), xorurlBase: base, dryRun: this.#dryRun });
    finalizer.register(this, this.#engine, this);
  }

  /**
   * A dry runner (sn_api's `Safe::dry_runner`): a `Safe` whose writes are not sent to the
   * network and resolve to what they would have given. `storeBytes`, `storeFile` and
   * `storeBlob` give the very XOR-URL a real store gives (self-encryption and data map
   * included), and need no `connect`, nor do `filesContainerCreateFrom`,
   * `filesContainerCreate`, `registerCreate` and `multimapCreate` (their URLs are random, as a
   * real one's are). The other container operations read the container, then give the version,
   * processed files and FilesMap they would have written. Reads go to the network as usual, and
   * find nothing that a dry run "wrote".
   *
   * @example
   * const dry = Safe.dryRunner();
   * const url = await dry.storeBytes(bytes);   // the URL, nothing uploaded
   */
  static dryRunner<T extends SafeBase>(
    this: new (xorurlBase: XorUrlBase | null, timeoutSecs: number | null, options: SafeOptions) => T,
    xorurlBase: XorUrlBase | null = null,
    timeoutSecs: number | null = null,
  ): T {
    return new this(xorurlBase, timeoutSecs, { dryRun: true });
  }

  /** Whether this is a dry runner (see {@link SafeBase.dryRunner}). */
  get isDryRun(): boolean {
    return this.#dryRun;
  }

  /** Whether `connect()` has succeeded and the instance is not closed. */
  get isConnected(): boolean {
    return this.#connected && !this.#closed;
  }

  /** The network as seen at the last successful `connect()`. */
  get network(): NetworkInfo | undefined {
    return this.#closed ? undefined : this.#network;
  }

  /**
   * Connects to a network: fetches its map from the first bootstrap contact that answers.
   * In Node, without `bootstrap`, reads the contacts file `$SAFE_HOME/network_contacts/default`
   * (SAFE_HOME defaults to `~/.safe`), which `safe testnet start` writes. In a browser,
   * `relay` (a `ws://` URL of `safe relay`) is required, and without `bootstrap` the relay
   * names the contacts.
   */
  async connect(options: ConnectOptions = {}): Promise<void> {
    if (options === null || typeof options !== 'object') {
      throw new SafeError('InvalidArgument', 'connect options must be an object, e.g. { bootstrap: ["127.0.0.1:12000"] }');
    }
    const { bootstrap, allow, signal } = options;
    if (bootstrap !== undefined && (!Array.isArray(bootstrap) || bootstrap.length === 0)) {
      throw new SafeError('InvalidArgument', 'bootstrap must be a non-empty array of "host:port" strings');
    }
    if (allow !== undefined && !Array.isArray(allow)) {
      throw new SafeError('InvalidArgument', 'allow must be an array of "host:port" strings the client may also send to');
    }
    checkSignal(signal);
    if (this.#closed) throw closedError();
    const { bootstrap: contacts, allow: extra } = await this.#platform.contacts(this.#engine, options);
    // The component may send to the contacts and to the nodes of the map they give (gate.ts).
    this.#engine.allow([...contacts, ...extra]);
    const request = { tag: 'connect', val: contacts.map(toWitContact) } satisfies Request;
    await this.#run('connect', 'write', request, 'connected', { ...(signal ? { signal } : {}) }, undefined, (r) => {
      this.#network = networkInfo(r.val);
      this.#connected = true;
    });
  }

  /**
   * Stores `bytes` as a public file and returns its XOR-URL. `mediaType` (a MIME type the
   * XOR-URL format knows, e.g. `'text/html'`) goes into the URL; without it the file is Raw.
   * `bytes` may be any `ArrayBufferView` (a `Buffer`, a view of a larger buffer): it is read a
   * piece at a time as the upload goes, never changed, so keep it unchanged until the call ends.
   */
  async storeBytes(bytes: ArrayBufferView, mediaType?: string, options?: CallOptions): Promise<string> {
    const data = args.bytes(bytes, 'bytes');
    const type = args.mediaType(mediaType);
    const pieces: Uint8Array[] = [];
    const piece = this.#platform.pieceBytes;
    for (let at = 0; at < data.length; at += piece) pieces.push(data.subarray(at, at + piece));
    const request = { tag: 'store-file', val: [{ kind: 'pieces' }, type] } satisfies Request;
    return (await this.#run('storeBytes', 'read', request, 'stored', args.options(options), pieces)).val;
  }

  /**
   * Stores the local file at `path` as a public file and returns its XOR-URL. The file is read
   * a chunk at a time as it is encrypted and uploaded, so its size does not matter.
   */
  async storeFile(path: string, mediaType?: string, options?: CallOptions): Promise<string> {
    const files = this.#files('storeFile', 'storeBlob(file) with a File from a file picker');
    if (typeof path !== 'string' || path === '') throw new SafeError('InvalidArgument', 'path must be the path of a local file');
    const type = args.mediaType(mediaType);
    const request = { tag: 'store-file', val: [{ kind: 'file', path: files.resolve(path) }, type] } satisfies Request;
    return (await this.#run('storeFile', 'read', request, 'stored', args.options(options))).val;
  }

  /**
   * Stores a `Blob` (or a `File`, what a file picker gives) as a public file and returns its
   * XOR-URL. In a browser the engine worker reads it a slice at a time as it is encrypted and
   * uploaded, so it is never held whole; `mediaType` defaults to the Blob's own `type` when the
   * XOR-URL format knows it. Node has no Blob source: use `storeFile` or `storeBytes` there.
   */
  async storeBlob(blob: Blob, mediaType?: string, options?: CallOptions): Promise<string> {
    const spec = this.#platform.blob(blob);
    const type = args.mediaType(mediaType);
    const request = { tag: 'store-file', val: [spec, type] } satisfies Request;
    return (await this.#run('storeBlob', 'read', request, 'stored', args.options(options))).val;
  }

  /** Reads a file's bytes, or bytes `[start, end)` of it. */
  async filesGet(url: string, range?: ByteRange, options?: CallOptions): Promise<Uint8Array> {
    const request = { tag: 'files-get', val: [args.url(url), args.range(range)] } satisfies Request;
    return (await this.#run('filesGet', 'read', request, 'bytes', args.options(options))).val;
  }

  /** Resolves a `safe://` URL to the data it names; for a file, optionally a byte range. */
  async fetch(url: string, range?: ByteRange, options?: CallOptions): Promise<SafeData> {
    const request = { tag: 'fetch', val: [args.url(url), args.range(range)] } satisfies Request;
    return safeData((await this.#run('fetch', 'read', request, 'data', args.options(options))).val);
  }

  /**
   * Resolves a `safe://` URL like `fetch` and returns every step of the way (NRS names, the
   * container, the file), without file contents.
   */
  async inspect(url: string, options?: CallOptions): Promise<SafeData[]> {
    const request = { tag: 'inspect', val: args.url(url) } satisfies Request;
    return (await this.#run('inspect', 'read', request, 'chain', args.options(options))).val.map(safeData);
  }

  /**
   * Which nodes hold each chunk of the file `url` resolves to (a XOR-URL, an NRS name, a path
   * in a container): the chunk the URL names, the data map's child levels, then the encrypted
   * pieces, each with the R nodes of the network map that should hold it, closest first, and
   * what each said (`held`, `missing`, or `no-answer` when it gave none usable within 10 s).
   * Each node is asked once, for all its chunks. A node's answer is its word: a read still
   * checks every chunk's content. `InvalidArgument` when the URL names something other than a
   * file.
   *
   * @example
   * const { chunks } = await safe.checkReplicas(url);
   * const thin = chunks.filter((c) => c.holders.filter((h) => h.state === 'held').length < 3);
   */
  async checkReplicas(url: string, options?: CallOptions): Promise<FileReplicas> {
    const request = { tag: 'check-replicas', val: args.url(url) } satisfies Request;
    return fileReplicas((await this.#run('checkReplicas', 'read', request, 'replicas', args.options(options))).val);
  }

  /**
   * Parses `url` and resolves its NRS name (sn_api's `parse_and_resolve_url`): `{ parsed,
   * resolved }` (see {@link ResolvedUrl}). Only the name is resolved, not the URL's path, so the
   * path need not exist. A XOR-URL resolves to itself without the network; an NRS name reads its
   * map (and those of names it links to) with {@link inspect}: a name that links to nothing is
   * `NotFound`.
   */
  async parseAndResolveUrl(url: string, options?: CallOptions): Promise<ResolvedUrl> {
    const parsed = SafeUrl.parse(args.url(url));
    if (!parsed.isNrs) return { parsed, resolved: parsed };
    const steps = await this.inspect(parsed.withPath('').toString(), options);
    const links = steps.filter((s) => s.type === 'NrsEntry');
    const last = links.at(-1);
    const target = last ? SafeUrl.parse(last.resolvesInto) : SafeUrl.parse(steps[0]?.xorurl ?? '');
    const path = `${target.path.replace(/\/+$/, '')}${parsed.path}`;
    return { parsed, resolved: target.withPath(path) };
  }

  /**
   * A stream of the bytes of the file `url` names (a XOR-URL, or a path in a container or under
   * an NRS name), or of bytes `[start, end)` of it. It reads a few pieces at a time with bounded
   * read-ahead, so memory does not grow with the file; cancelling it or aborting `signal` stops
   * the network work. The Promise rejects for a bad URL or what is not a file.
   *
   * @example
   * for await (const bytes of await safe.filesGetStream(url)) process.stdout.write(bytes);
   */
  async filesGetStream(url: string, range?: ByteRange, options?: CallOptions): Promise<ReadableStream<Uint8Array>> {
    return openFileStream(this, url, range, options);
  }

  /**
   * Downloads the file `url` names to the local `path`, streamed (see {@link filesGetStream}) into
   * a temporary file next to it that is renamed on success: `path` never holds a partial file.
   * Returns the number of bytes written.
   */
  async filesGetToPath(url: string, path: string, options?: ToPathOptions): Promise<number> {
    return this.#files('filesGetToPath', 'filesGetStream(url)').download(this, url, path, options);
  }

  // ---- FilesContainers ---------------------------------------------------------------------

  /** An empty FilesContainer owned by this Safe's key pair; returns its XOR-URL. */
  async filesContainerCreate(options?: CallOptions): Promise<string> {
    return (await this.#run('filesContainerCreate', 'read', { tag: 'files-container-create' }, 'url', args.options(options))).val;
  }

  /**
   * A FilesContainer holding the local file or folder at `location` (as sn_api: `site/` puts
   * the folder's contents at the root, `site` puts the folder itself), under `dst` if given.
   * Each file is read a chunk at a time as it is stored. Returns the container's versioned
   * XOR-URL, what was done to each local path, and the FilesMap.
   */
  async filesContainerCreateFrom(location: string, dst?: string | null, options?: FilesContainerOptions): Promise<[string, ProcessedFiles, FilesMap]> {
    const opts: FilesContainerOptions = args.options(options);
    this.#files('filesContainerCreateFrom', 'filesContainerCreate() and filesContainerAddFromRaw(bytes, url)');
    const local = await this.#walk(location, args.flag(opts.recursive, 'recursive', true), args.flag(opts.followLinks, 'followLinks', false));
    const target = dst === undefined || dst === null ? undefined : args.text(dst, 'dst', '/site');
    const request = { tag: 'files-container-create-from', val: { local, dst: target } } satisfies Request;
    const c = (await this.#run('filesContainerCreateFrom', 'read', request, 'container', opts)).val;
    return [c.url, processedFiles(c.processed), filesMap(c.filesMap)];
  }

  /**
   * Adds the local file at `source` to the container at `url`, at the URL's path (ending in `/`:
   * inside that folder). Without `force` a file already there is reported as Failed and kept.
   * Returns the new version (null when nothing changed), what was done, and the FilesMap.
   */
  async filesContainerAdd(source: string, url: string, options?: FilesContainerAddOptions): Promise<[string | null, ProcessedFiles, FilesMap]> {
    const opts: FilesContainerAddOptions = args.options(options);
    this.#files('filesContainerAdd', 'filesContainerAddFromRaw(bytes, url)');
    const target = args.url(url);
    const local = await this.#walk(source, false, args.flag(opts.followLinks, 'followLinks', false));
    const val = { local, url: target, force: args.flag(opts.force, 'force', false), updateNrs: args.flag(opts.updateNrs, 'updateNrs', false) };
    return versioned(await this.#run('filesContainerAdd', 'read', { tag: 'files-container-add', val } satisfies Request, 'container', opts));
  }

  /** Adds `bytes` as a file at the path `url` names; as {@link filesContainerAdd} otherwise. */
  async filesContainerAddFromRaw(bytes: ArrayBufferView, url: string, options?: FilesContainerAddOptions): Promise<[string | null, ProcessedFiles, FilesMap]> {
    const opts: FilesContainerAddOptions = args.options(options);
    const val = {
      data: args.ownedBytes(bytes, 'bytes'),
      url: args.url(url),
      force: args.flag(opts.force, 'force', false),
      updateNrs: args.flag(opts.updateNrs, 'updateNrs', false),
    };
    return versioned(await this.#run('filesContainerAddFromRaw', 'read', { tag: 'files-container-add-from-raw', val } satisfies Request, 'container', opts));
  }

  /**
   * Makes the container at `url` (under its path) match the local `location`: new and changed
   * files are stored, and with `delete` what is gone locally is removed. Returns the new version
   * (null when nothing changed), what was done, and the FilesMap.
   */
  async filesContainerSync(location: string, url: string, options?: FilesContainerSyncOptions): Promise<[string | null, ProcessedFiles, FilesMap]> {
    const opts: FilesContainerSyncOptions = args.options(options);
    this.#files('filesContainerSync', 'filesContainerAddFromRaw(bytes, url) per file');
    const target = args.url(url);
    const recursive = args.flag(opts.recursive, 'recursive', true);
    const remove = args.flag(opts.delete, 'delete', false);
    // Without recursion sub-folders are listed empty, and delete would empty them in the container.
    if (remove && !recursive) throw new SafeError('InvalidArgument', 'delete needs recursive: a sync that does not descend into sub-folders cannot tell what was deleted in them');
    const local = await this.#walk(location, recursive, args.flag(opts.followLinks, 'followLinks', false));
    const val = { local, url: target, delete: remove, updateNrs: args.flag(opts.updateNrs, 'updateNrs', false) };
    return versioned(await this.#run('filesContainerSync', 'read', { tag: 'files-container-sync', val } satisfies Request, 'container', opts));
  }

  /** Removes the file (or with `recursive` the folder) at the path `url` names. */
  async filesContainerRemovePath(url: string, options?: FilesContainerRemoveOptions): Promise<[string | null, ProcessedFiles, FilesMap]> {
    const opts: FilesContainerRemoveOptions = args.options(options);
    const val = { url: args.url(url), recursive: args.flag(opts.recursive, 'recursive', false), updateNrs: args.flag(opts.updateNrs, 'updateNrs', false) };
    return versioned(await this.#run('filesContainerRemovePath', 'read', { tag: 'files-container-remove-path', val } satisfies Request, 'container', opts));
  }

  /** The container's version (null if it has none yet) and FilesMap, at the URL's `?v=` or the latest. */
  async filesContainerGet(url: string, options?: CallOptions): Promise<[string | null, FilesMap]> {
    const c = (await this.#run('filesContainerGet', 'read', { tag: 'files-container-get', val: args.url(url) }, 'container', args.options(options))).val;
    return [c.version ?? null, filesMap(c.filesMap)];
  }

  // ---- NRS -------------------------------------------------------------------------------

  /** Registers the top name `topName` (e.g. "mysite") to this Safe's key pair; returns its map's URL. */
  async nrsCreate(topName: string, options?: CallOptions): Promise<string> {
    const request = { tag: 'nrs-create', val: args.publicName(topName, 'topName') } satisfies Request;
    return (await this.#run('nrsCreate', 'read', request, 'url', args.options(options))).val;
  }

  /**
   * Points the public name `name` ("mysite", "blog.mysite") at `link`; its top name must exist and
   * be this Safe's. A link to versioned content (a FilesContainer) must carry its `?v=`.
   * Returns the name's NRS URL with the new version.
   */
  async nrsAssociate(name: string, link: string, options?: CallOptions): Promise<string> {
    const request = { tag: 'nrs-associate', val: [args.publicName(name), args.url(link, 'link')] } satisfies Request;
    return (await this.#run('nrsAssociate', 'read', request, 'url', args.options(options))).val;
  }

  /** As {@link nrsAssociate}, registering the top name first if needed; also says whether it did. */
  async nrsAdd(name: string, link: string, options?: CallOptions): Promise<[string, boolean]> {
    const request = { tag: 'nrs-add', val: [args.publicName(name), args.url(link, 'link')] } satisfies Request;
    return (await this.#run('nrsAdd', 'read', request, 'nrs-added', args.options(options))).val;
  }

  /** Removes the link of the public name `name`; returns the NRS URL with the new version. */
  async nrsRemove(name: string, options?: CallOptions): Promise<string> {
    const request = { tag: 'nrs-remove', val: args.publicName(name) } satisfies Request;
    return (await this.#run('nrsRemove', 'read', request, 'url', args.options(options))).val;
  }

  /** What `name` links to (null if nothing) and its top name's whole map, at `version` or the latest. */
  async nrsGet(name: string, version?: string | null, options?: CallOptions): Promise<[string | null, NrsMap]> {
    const at = version === undefined || version === null ? undefined : args.text(version, 'version', 'hy8...');
    const request = { tag: 'nrs-get', val: [args.publicName(name), at] } satisfies Request;
    const n = (await this.#run('nrsGet', 'read', request, 'nrs', args.options(options))).val;
    return [n.link ?? null, toNrsMap(n.nrsMap)];
  }

  /**
   * Every public name under the top name of `name` and its link, at `version` or the latest
   * (sn_api's `nrs_get_subnames_map`): the map {@link nrsGet} gives, for which `name` itself
   * need not have a link.
   */
  async nrsGetSubnamesMap(name: string, version?: string | null, options?: CallOptions): Promise<NrsMap> {
    const at = version === undefined || version === null ? undefined : args.text(version, 'version', 'hy8...');
    const request = { tag: 'nrs-get-subnames-map', val: [args.publicName(name), at] } satisfies Request;
    return toNrsMap((await this.#run('nrsGetSubnamesMap', 'read', request, 'nrs-map', args.options(options))).val);
  }

  // ---- multimaps -------------------------------------------------------------------------

  /** Creates a multimap owned by this Safe's key pair at `name` (64 hex; random when null) and type tag `tag`. */
  async multimapCreate(name: string | null | undefined, tag: number | bigint, options?: CallOptions): Promise<string> {
    const named = name === undefined || name === null ? undefined : fromHex(args.hex64(name, 'name'));
    const request = { tag: 'multimap-create', val: [named, args.u64(tag, 'tag')] } satisfies Request;
    return (await this.#run('multimapCreate', 'read', request, 'url', args.options(options))).val;
  }

  /** The current entries whose key is `key`. */
  async multimapGetByKey(url: string, key: ArrayBufferView, options?: CallOptions): Promise<MultimapEntry[]> {
    const request = { tag: 'multimap-get-by-key', val: [args.url(url), args.ownedBytes(key, 'key')] } satisfies Request;
    return (await this.#run('multimapGetByKey', 'read', request, 'multimap', args.options(options))).val;
  }

  /** The entry with hash `hash`. */
  async multimapGetByHash(url: string, hash: string, options?: CallOptions): Promise<MultimapEntry> {
    const request = { tag: 'multimap-get-by-hash', val: [args.url(url), args.hex64(hash, 'hash')] } satisfies Request;
    const [entry] = (await this.#run('multimapGetByHash', 'read', request, 'multimap', args.options(options))).val;
    if (entry === undefined) throw new SafeError('Internal', 'the Safe client component found the entry but gave none back; please report this');
    return entry;
  }

  /** Inserts `[key, value]`, replacing the entries `replace` (hashes); returns the new entry's hash. */
  async multimapInsert(url: string, entry: [ArrayBufferView, ArrayBufferView], replace: string[] = [], options?: CallOptions): Promise<string> {
    if (!Array.isArray(entry) || entry.length !== 2) throw new SafeError('InvalidArgument', 'entry must be [key, value], two Uint8Arrays');
    const val = {
      url: args.url(url),
      key: args.ownedBytes(entry[0], 'entry key'),
      value: args.ownedBytes(entry[1], 'entry value'),
      replace: args.hashes(replace, 'replace') ?? [],
    };
    return (await this.#run('multimapInsert', 'read', { tag: 'multimap-insert', val } satisfies Request, 'entry-hash', args.options(options))).val;
  }

  /** Removes the entries `hashes`; returns the hash of the removal. */
  async multimapRemove(url: string, hashes: string[], options?: CallOptions): Promise<string> {
    const list = args.hashes(hashes, 'hashes');
    if (!list || list.length === 0) throw new SafeError('InvalidArgument', 'hashes must list at least one entry hash to remove');
    const request = { tag: 'multimap-remove', val: [args.url(url), list] } satisfies Request;
    return (await this.#run('multimapRemove', 'read', request, 'entry-hash', args.options(options))).val;
  }

  // ---- keys ------------------------------------------------------------------------------

  /** A fresh ed25519 key pair (made inside the client; nothing is sent). */
  async newKeypair(options?: CallOptions): Promise<Keypair> {
    return (await this.#run('newKeypair', 'read', { tag: 'new-keypair' }, 'keypair', args.options(options))).val;
  }

  /** The key pair this Safe signs with: it owns the registers it creates. */
  async getKeypair(options?: CallOptions): Promise<Keypair> {
    return (await this.#run('getKeypair', 'read', { tag: 'get-keypair' }, 'keypair', args.options(options))).val;
  }

  /** Makes this Safe sign with `keypair` (or the key pair of a secret key) from now on. */
  async setKeypair(keypair: Keypair | string, options?: CallOptions): Promise<void> {
    await this.#run('setKeypair', 'write', { tag: 'set-keypair', val: args.secretKey(keypair, 'keypair') }, 'done', args.options(options));
  }

  /**
   * A new key whose account the test network's faucet preloads with `amount` coins (a decimal
   * string). Returns the key's SafeKey URL and its key pair.
   */
  async keysCreatePreloadTestCoins(amount: string, options?: CallOptions): Promise<[string, Keypair]> {
    const request = { tag: 'keys-create-preload-test-coins', val: args.amount(amount) } satisfies Request;
    return (await this.#run('keysCreatePreloadTestCoins', 'read', request, 'key-created', args.options(options))).val;
  }

  /** A new key preloaded with `amount` coins from `fromSecretKey`'s account (or the faucet). */
  async keysCreateAndPreload(amount: string, fromSecretKey?: string, options?: CallOptions): Promise<[string, Keypair]> {
    const from = fromSecretKey === undefined || fromSecretKey === null ? undefined : args.secretKey(fromSecretKey, 'fromSecretKey');
    const request = { tag: 'keys-create-and-preload', val: [args.amount(amount), from] } satisfies Request;
    return (await this.#run('keysCreateAndPreload', 'read', request, 'key-created', args.options(options))).val;
  }

  /** The balance of the key with `secretKey`, as a decimal string in shortest form (`'9'`). */
  async keysBalance(secretKey: string, options?: CallOptions): Promise<string> {
    const request = { tag: 'keys-balance', val: args.secretKey(secretKey) } satisfies Request;
    return (await this.#run('keysBalance', 'read', request, 'balance', args.options(options))).val;
  }

  /** Pays `amount` coins from `fromSecretKey`'s account to the key at `toUrl`; returns the transfer id. */
  async keysTransfer(amount: string, fromSecretKey: string, toUrl: string, options?: CallOptions): Promise<string> {
    const val = {
      amount: args.amount(amount),
      fromSecretKey: args.secretKey(fromSecretKey, 'fromSecretKey'),
      toUrl: args.url(toUrl, 'toUrl'),
    };
    return (await this.#run('keysTransfer', 'read', { tag: 'keys-transfer', val } satisfies Request, 'transfer-id', args.options(options))).val;
  }

  // ---- registers -------------------------------------------------------------------------

  /**
   * Creates a register owned by this Safe's key pair at `name` (64 hex; random when null) and
   * type tag `tag`, holding entries of `contentType` (a MIME type, or Raw). Returns its URL.
   */
  async registerCreate(name: string | null | undefined, tag: number | bigint, contentType?: string, options?: CallOptions): Promise<string> {
    const named = name === undefined || name === null ? undefined : fromHex(args.hex64(name, 'name'));
    const val = { name: named, tag: args.u64(tag, 'tag'), contentType: args.mediaType(contentType, 'contentType') };
    return (await this.#run('registerCreate', 'read', { tag: 'register-create', val } satisfies Request, 'url', args.options(options))).val;
  }

  /** The register's current entries: those no later entry supersedes (several after concurrent writes). */
  async registerRead(url: string, options?: CallOptions): Promise<RegisterEntry[]> {
    const request = { tag: 'register-read', val: args.url(url) } satisfies Request;
    return (await this.#run('registerRead', 'read', request, 'entries', args.options(options))).val;
  }

  /** One entry of the register, by its hash. */
  async registerReadEntry(url: string, hash: string, options?: CallOptions): Promise<Uint8Array> {
    const request = { tag: 'register-read-entry', val: [args.url(url), args.hex64(hash, 'hash')] } satisfies Request;
    return (await this.#run('registerReadEntry', 'read', request, 'entry', args.options(options))).val;
  }

  /**
   * Writes `entry` to the register, superseding `parents` (entry hashes; by default the current
   * entries). Returns the new entry's hash. Only the register's owner can write it.
   */
  async registerWrite(url: string, entry: ArrayBufferView, parents?: string[], options?: CallOptions): Promise<string> {
    const list = args.hashes(parents, 'parents');
    const val = { url: args.url(url), entry: args.ownedBytes(entry, 'entry'), parents: list };
    return (await this.#run('registerWrite', 'read', { tag: 'register-write', val } satisfies Request, 'entry-hash', args.options(options))).val;
  }

  /**
   * Closes the instance: operations in flight reject with `Closed`, the nodes are told, the
   * sockets are released. Later calls reject with `Closed`. Calling it again does nothing.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#connected = false;
    finalizer.unregister(this);
    const closing = this.#engine.close(closedError());
    const release = await this.#lock.write();
    try {
      await closing;
    } finally {
      release();
    }
  }

  /** `await using safe = new Safe()` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The platform's local files; rejects `method` with `InvalidArgument` where there are none. */
  #files(method: string, instead: string): LocalFiles {
    const files = this.#platform.files;
    if (!files) throw new SafeError('InvalidArgument', `${method} works on local paths, which needs Node; in ${this.#platform.name} use ${instead}`);
    return files;
  }

  /** Lists a local location for a FilesContainer operation (before taking the lock). */
  async #walk(location: unknown, recursive: boolean, followLinks: boolean): Promise<Sendable<Wit.LocalItems>> {
    if (this.#closed) throw closedError();
    const files = this.#files('a FilesContainer operation on a local location', 'filesContainerAddFromRaw(bytes, url)');
    const path = args.text(location, 'location', './site/');
    const entries = await files.walk(path, { recursive, followLinks });
    return {
      location: path,
      items: entries.map((e) => ({
        path: e.path,
        kind:
          e.kind === 'file'
            ? { tag: 'file', val: { kind: 'listed', path: e.absolute, size: e.size } }
            : e.kind === 'dir'
              ? { tag: 'dir' }
              : { tag: 'symlink', val: [e.symlinkTarget ?? '', e.symlinkTargetType ?? 'unknown'] },
        modeBits: e.modeBits,
        readonly: e.readonly,
        created: e.created,
        modified: e.modified,
      })),
    };
  }

  /**
   * Runs `request` under the lock (`mode`), reporting it as `name`; resolves with the WIT response
   * the method expects (`expects`, the response case that operation gives; another answer is an
   * `Internal` error), typed by that case.
   */
  async #run<T extends Wit.Response['tag']>(
    name: string,
    mode: 'read' | 'write',
    request: Request,
    expects: T,
    options: CallOptions,
    pieces?: Uint8Array[],
    onSuccess?: (response: ResponseTo<T>) => void,
  ): Promise<ResponseTo<T>> {
    const { signal, onProgress } = options;
    if (this.#closed) throw closedError();
    checkSignal(signal);
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      throw new SafeError('InvalidArgument', 'onProgress must be a function');
    }
    const release = mode === 'write' ? await this.#lock.write() : await this.#lock.read();
    try {
      if (this.#closed) throw closedError();
      checkSignal(signal);
      const id = ++this.#calls;
      const { call, result } = this.#engine.run(request, expects, { onProgress, ...(pieces ? { pieces } : {}) });
      const { publish, debug } = this.#platform;
      publish({ phase: 'start', name, id });
      debug('%s #%d.%d started', name, this.#instance, id);
      const onAbort = () => this.#engine.cancel(call, abortedError(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const value = await result;
        onSuccess?.(value);
        publish({ phase: 'end', name, id });
        return value;
      } catch (e) {
        publish({ phase: 'end', name, id, error: e instanceof SafeError ? e.code : 'Internal' });
        debug('%s #%d.%d failed: %s', name, this.#instance, id, e instanceof Error ? e.message : String(e));
        throw e;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    } finally {
      release();
    }
  }
}

/** An add, sync or removal as sn_api returned it: the new version, what was done, the FilesMap. */
function versioned({ val: c }: ResponseTo<'container'>): [string | null, ProcessedFiles, FilesMap] {
  return [c.version ?? null, processedFiles(c.processed), filesMap(c.filesMap)];
}

function closedError(): SafeError {
  return new SafeError('Closed', 'this Safe has been closed: create a new Safe to go on');
}

function abortedError(signal: AbortSignal): SafeError {
  return new SafeError('Aborted', 'the operation was aborted by its AbortSignal', { cause: signal.reason });
}

function checkSignal(signal: AbortSignal | undefined): void {
  if (signal === undefined) return;
  if (!(signal instanceof AbortSignal)) throw new SafeError('InvalidArgument', 'signal must be an AbortSignal');
  if (signal.aborted) throw abortedError(signal);
}
