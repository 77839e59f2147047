/** The public data types of the Safe API. */

/** The encodings a XOR-URL's name can be written in. */
export type XorUrlBase = 'base32z' | 'base32' | 'base64';

/** Options of {@link Safe.connect}. */
export interface ConnectOptions {
  /**
   * Nodes to bootstrap from, as `host:port` or `<node id hex>@host:port`. Without it the
   * contacts file `$SAFE_HOME/network_contacts/default` is read.
   */
  bootstrap?: string[];
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

/** An immutable file. */
export interface PublicFile {
  type: 'PublicFile';
  /** The file's XOR-URL. */
  xorurl: string;
  /** The file's address: SHA3-256 of its content, 64 hex characters. */
  xorname: string;
  /** The content, or the requested range of it. */
  data: Uint8Array;
  /** The MIME type the URL declares, if any. */
  mediaType?: string;
  /** The URL as it was asked for. */
  resolvedFrom: string;
  /** The size of the whole file in bytes. */
  size: number;
}

/** What `fetch` resolved a URL to. More kinds come with the full API. */
export type SafeData = PublicFile;

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
