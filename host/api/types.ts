/** The public data types of the Safe API. */

/** The encodings a XOR-URL's name can be written in. */
export type XorUrlBase = 'base32z' | 'base32' | 'base64';

/** How a `Safe` behaves besides its XOR-URL base and timeout (the constructor's third argument). */
export interface SafeOptions {
  /**
   * A dry runner (sn_api's `Safe::dry_runner`, also `Safe.dryRunner()`): writes are not sent to
   * the network and resolve to what they would have given; reads go to the network as usual.
   */
  dryRun?: boolean;
}

/** Options of {@link Safe.connect}. */
export interface ConnectOptions {
  /**
   * Nodes to bootstrap from, as `host:port` or `<node id hex>@host:port`. Without it the
   * contacts file `$SAFE_HOME/network_contacts/default` is read.
   */
  bootstrap?: string[];
  /**
   * More addresses (`host:port`) the client may send datagrams to. By default it may send only
   * to the bootstrap contacts and to the nodes of the network map they give; anything else is
   * dropped and reported on the `diagnostics_channel` channel `safe-wasi:send-refused`.
   */
  allow?: string[];
  /**
   * Browser only: the `ws://` URL of a datagram relay (`safe relay`), which owns the UDP sockets
   * and forwards the client's encrypted datagrams to the network's nodes. Without `bootstrap`
   * the relay names the network's contacts. Node rejects it (it has its own sockets).
   */
  relay?: string;
  /** Abandons the call when aborted. */
  signal?: AbortSignal;
}

/** How far a long operation has got. */
export interface Progress {
  /** How much is done. */
  done: number;
  /** How much there is in all. */
  total: number;
  /** What `done` and `total` count. */
  unit: 'bytes' | 'files';
  /** What is being worked on (e.g. a file's path). */
  item?: string;
}

/** Options every call accepts. */
export interface CallOptions {
  /** Abandons the operation when aborted: it rejects with code `Aborted`. */
  signal?: AbortSignal;
  /** Told how far a long operation (a large file, a folder) has got. */
  onProgress?: (progress: Progress) => void;
}

/** Bytes `[start, end)` of a file; a missing `end` reads to the end. */
export type ByteRange = readonly [start: number | bigint, end?: number | bigint];

/** The network as the client saw it when it connected. */
export interface NetworkInfo {
  /** Members in the network map. */
  nodes: number;
  /** The map's epoch. */
  epoch: number;
  /** How many nodes hold each item. */
  replicationFactor: number;
}

/**
 * A path's attributes in a FilesMap, as sn_api wrote them: `link` (the file's XOR-URL), `type`
 * (a MIME type, `inode/directory` or `inode/symlink`), `size`, `created`, `modified`,
 * `o_created`, `o_modified`, `readonly`, `mode_bits`, `symlink_target`, `symlink_target_type`.
 */
export type FileInfo = Record<string, string>;

/** A FilesContainer's listing: each path (starting with `/`) and its attributes. */
export type FilesMap = Record<string, FileInfo>;

/** What an operation did to one path. */
export type FileChange =
  | { change: 'Added' | 'Updated' | 'Removed'; link: string }
  | { change: 'Failed'; reason: string };

/** The paths an operation touched (local paths for local files), each with what happened. */
export type ProcessedFiles = Record<string, FileChange>;

/** Every public name under a top name and its link. */
export type NrsMap = Record<string, string>;

/** Options of {@link Safe.filesContainerCreateFrom} and {@link Safe.filesContainerSync}. */
export interface FilesContainerOptions extends CallOptions {
  /** Descend into sub-folders (default true). */
  recursive?: boolean;
  /** Store what symlinks point to instead of the links (default false). */
  followLinks?: boolean;
}

/** Options of {@link Safe.filesContainerAdd} and {@link Safe.filesContainerAddFromRaw}. */
export interface FilesContainerAddOptions extends CallOptions {
  /** Replace a file already at the destination (default false: it is reported as Failed). */
  force?: boolean;
  /** When the URL is an NRS URL, point its name at the new version (default false). */
  updateNrs?: boolean;
  /** Store what a symlink points to instead of the link (default false). */
  followLinks?: boolean;
}

/** Options of {@link Safe.filesContainerSync}. */
export interface FilesContainerSyncOptions extends FilesContainerOptions {
  /** Remove what the container holds under the path but the local folder no longer does. */
  delete?: boolean;
  /** When the URL is an NRS URL, point its name at the new version (default false). */
  updateNrs?: boolean;
}

/** Options of {@link Safe.filesContainerRemovePath}. */
export interface FilesContainerRemoveOptions extends CallOptions {
  /** Remove a folder and everything under it (default false). */
  recursive?: boolean;
  /** When the URL is an NRS URL, point its name at the new version (default false). */
  updateNrs?: boolean;
}

/** An immutable file. */
export interface PublicFile {
  type: 'PublicFile';
  /** The file's XOR-URL. */
  xorurl: string;
  /** The address of the file's chunk (its data map, or a tiny file's bytes), 64 hex characters. */
  xorname: string;
  /** Its attributes in the FilesContainer it was reached through. */
  metadata?: FileInfo;
  /** The content, or the requested range of it. */
  data: Uint8Array;
  /** The MIME type the URL declares, if any. */
  mediaType?: string;
  /** The URL as it was asked for. */
  resolvedFrom: string;
  /** The size of the whole file in bytes. */
  size: number;
}

/** A FilesContainer, or a folder inside one. */
export interface FilesContainer {
  type: 'FilesContainer';
  /** The container's XOR-URL, with its version. */
  xorurl: string;
  /** The container register's name, 64 hex characters. */
  xorname: string;
  typeTag: number | bigint;
  /** The version read; null for a container that has none yet. */
  version: string | null;
  /** The FilesMap of that version (for a folder: the paths under it). */
  filesMap: FilesMap;
  /** For a folder inside the container: its attributes. */
  metadata?: FileInfo;
  resolvedFrom: string;
}

/** A top name's NRS map (what a top name without a link of its own resolves to). */
export interface NrsMapContainer {
  type: 'NrsMapContainer';
  publicName: string;
  xorurl: string;
  xorname: string;
  typeTag: number | bigint;
  version: string | null;
  nrsMap: NrsMap;
  resolvedFrom: string;
}

/** A public name's link: a step of {@link Safe.inspect} (`fetch` follows it). */
export interface NrsEntry {
  type: 'NrsEntry';
  publicName: string;
  /** The NRS map's XOR-URL, with its version. */
  xorurl: string;
  version: string | null;
  /** The link the name points at. */
  resolvesInto: string;
  resolvedFrom: string;
}

/** A key's SafeKey URL. */
export interface SafeKey {
  type: 'SafeKey';
  xorurl: string;
  xorname: string;
  resolvedFrom: string;
}

/** A register and its current entries. */
export interface Register {
  type: 'Register';
  xorurl: string;
  xorname: string;
  typeTag: number | bigint;
  entries: RegisterEntry[];
  resolvedFrom: string;
}

/** A multimap and its current entries. */
export interface Multimap {
  type: 'Multimap';
  xorurl: string;
  xorname: string;
  typeTag: number | bigint;
  entries: MultimapEntry[];
  resolvedFrom: string;
}

/** What `fetch` resolved a URL to (and each step of `inspect`); tell them apart by `type`. */
export type SafeData = PublicFile | FilesContainer | NrsMapContainer | NrsEntry | SafeKey | Register | Multimap;

/** What `checkReplicas` found: every chunk of a file and what each node that should hold it said. */
export interface FileReplicas {
  /** The file's XOR-URL. */
  xorurl: string;
  /** How many nodes should hold each chunk (R). */
  replicationFactor: number;
  /** The chunk the URL names, then the data map's child levels (if any), then the pieces in order. */
  chunks: ChunkReplicas[];
}

/** One chunk of a file and its holders. */
export interface ChunkReplicas {
  /** The chunk's network address (64 hex). */
  address: string;
  /**
   * `root`: the chunk the file's URL names (its data map, or the bytes of a file under 3 bytes);
   * `map-level`: a chunk of a large file's data map; `piece`: an encrypted piece of the content.
   */
  kind: 'root' | 'map-level' | 'piece';
  /** The nodes of the network map that should hold it, closest first. */
  holders: Replica[];
}

/** A node that should hold a chunk, and what it said. */
export interface Replica {
  /** The node's id (64 hex). */
  nodeId: string;
  /** Where it listens: `ip:port` (`[ip]:port` for IPv6). */
  address: string;
  /** `held` or `missing` by the node's own answer; `no-answer` when it gave none usable in time. */
  state: 'held' | 'missing' | 'no-answer';
}

/** A multimap entry: its hash (64 hex), key and value. */
export interface MultimapEntry {
  hash: string;
  key: Uint8Array;
  value: Uint8Array;
}

/** An ed25519 key pair, each half as 64 hex characters. */
export interface Keypair {
  publicKey: string;
  secretKey: string;
}

/** A register entry and its hash (64 hex characters). */
export interface RegisterEntry {
  hash: string;
  entry: Uint8Array;
}
