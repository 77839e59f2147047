//! [`Safe`]: the Rust API, mirroring the TypeScript `Safe` (`host/api/safe.ts`) in snake_case.
//!
//! Each method takes the instance's lock (a tokio [`RwLock`]: `connect` and `set_keypair`
//! write, everything else reads, `close` rejects what is in flight first) and runs its operation
//! on the instance's driver thread, in the component or natively.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use safe_client::safe_types::{XorName, XorUrlBase};
use safe_client::{
    ByteRange, Config, Contact, ContainerResult, FileReplicas, FilesMap, KeypairInfo,
    MultimapEntry, NetworkInfo, Operation, Output, RegisterEntry, SafeData,
};
use tokio::sync::{mpsc, oneshot, RwLock};

use crate::contacts;
use crate::driver::{self, Command};
use crate::engine::native::NativeEngine;
use crate::engine::wasm::{WasmEngine, WasmOptions};
use crate::{ErrorCode, SafeError};

/// Which engine runs the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// The component at this path (`pkg/safe_client.wasm`) in wasmtime.
    Wasm(PathBuf),
    /// `safe-client` linked natively: no wasm.
    Native,
}

/// How a [`Safe`] behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Which engine runs the client.
    pub backend: Backend,
    /// How long an operation may take before it fails with `Timeout` (default 120 s).
    pub timeout: Duration,
    /// The base of the XOR-URLs this client writes (default base32z).
    pub xorurl_base: XorUrlBase,
    /// The most linear memory the wasm guest may grow to (default 1 GiB); ignored natively.
    pub max_memory: usize,
    /// The most time one call into the wasm guest may run before it is interrupted as a
    /// runaway (default 30 s); ignored natively.
    pub call_budget: Duration,
    /// Where the compiled component is kept between processes, so that only the first run
    /// compiles it (default [`default_cache_dir`](crate::default_cache_dir): `$SAFE_WASMTIME_CACHE`
    /// or the user's cache directory); `None` compiles it in every process. Ignored natively.
    pub cache_dir: Option<PathBuf>,
    /// Addresses the component may send to besides the bootstrap contacts and the nodes of its
    /// network map (default none): everything else it sends is dropped and reported on stderr.
    /// Ignored natively.
    pub allow: Vec<std::net::SocketAddr>,
    /// A dry runner (default false; see [`Options::dry_runner`]).
    pub dry_run: bool,
}

impl Options {
    /// The defaults for a backend.
    pub fn new(backend: Backend) -> Self {
        Self {
            backend,
            timeout: Duration::from_secs(120),
            xorurl_base: XorUrlBase::Base32z,
            max_memory: 1 << 30,
            call_budget: Duration::from_secs(30),
            cache_dir: crate::default_cache_dir(),
            allow: Vec::new(),
            dry_run: false,
        }
    }

    /// The options of a dry runner (sn_api's `Safe::dry_runner`) on `backend`: writes are not
    /// sent and give what they would have given (a store the XOR-URL a real store gives,
    /// without `connect`); reads go to the network.
    pub fn dry_runner(backend: Backend) -> Self {
        Self { dry_run: true, ..Self::new(backend) }
    }
}

/// `(version, processed files, files map)` of a FilesContainer change; `version` is `None`
/// when nothing changed.
pub type ContainerChange = (Option<String>, BTreeMap<String, safe_client::FileChange>, FilesMap);

/// A client of the Safe Network.
///
/// Cheap to share: wrap it in an `Arc` and call it from many tasks; reads run together.
pub struct Safe {
    lock: RwLock<()>,
    commands: mpsc::UnboundedSender<Command>,
    running: Arc<AtomicUsize>,
    connected: AtomicBool,
    network: Mutex<Option<NetworkInfo>>,
}

fn closed() -> SafeError {
    SafeError::new(ErrorCode::Closed, "the Safe was closed; create a new Safe")
}

fn unexpected(what: &str, output: Output) -> SafeError {
    SafeError::new(ErrorCode::Internal, format!("{what} gave an unexpected answer: {output:?}"))
}

fn xorname(hex_name: &str, what: &str) -> Result<XorName, SafeError> {
    hex::decode(hex_name).ok().and_then(|b| <[u8; 32]>::try_from(b).ok()).map(XorName).ok_or_else(
        || {
            SafeError::new(
                ErrorCode::InvalidArgument,
                format!("the {what} must be 64 hex characters"),
            )
        },
    )
}

fn range(r: Option<(u64, Option<u64>)>) -> Option<ByteRange> {
    r.map(|(start, end)| ByteRange { start, end })
}

impl Safe {
    /// Starts a client (compiling and instantiating the component, or the native core) on a
    /// thread of its own. Not connected yet: call [`connect`](Self::connect).
    pub async fn new(options: Options) -> Result<Self, SafeError> {
        let (commands, rx) = mpsc::unbounded_channel();
        let running = Arc::new(AtomicUsize::new(0));
        let (ready_tx, ready_rx) = oneshot::channel::<Result<(), SafeError>>();
        let config = Config {
            timeout: options.timeout,
            xorurl_base: options.xorurl_base,
            rng_seed: None,
            dry_run: options.dry_run,
        };
        let thread_running = running.clone();
        let spawned = std::thread::Builder::new().name("safe-driver".into()).spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx
                        .send(Err(SafeError::new(ErrorCode::Internal, format!("no runtime: {e}"))));
                    return;
                }
            };
            runtime.block_on(async move {
                let ready = |r| ready_tx.send(r);
                let result = match options.backend {
                    Backend::Native => {
                        let _ = ready(Ok(()));
                        driver::run(NativeEngine::new(config), rx, thread_running).await
                    }
                    Backend::Wasm(path) => {
                        let limits = WasmOptions {
                            max_memory: options.max_memory,
                            call_budget: options.call_budget,
                            cache_dir: options.cache_dir,
                            allow: options.allow,
                        };
                        match WasmEngine::new(&path, config, limits).await {
                            Ok(engine) => {
                                let _ = ready(Ok(()));
                                driver::run(engine, rx, thread_running).await
                            }
                            Err(e) => {
                                let _ = ready(Err(e));
                                Ok(())
                            }
                        }
                    }
                };
                if let Err(e) = result {
                    crate::engine::tracing_free_log(&format!("the driver stopped: {e}"));
                }
            });
        });
        if let Err(e) = spawned {
            return Err(SafeError::new(
                ErrorCode::Internal,
                format!("cannot start the driver thread: {e}"),
            ));
        }
        ready_rx
            .await
            .map_err(|_| SafeError::new(ErrorCode::Internal, "the driver thread stopped"))??;
        Ok(Self {
            lock: RwLock::new(()),
            commands,
            running,
            connected: AtomicBool::new(false),
            network: Mutex::new(None),
        })
    }

    /// Runs any operation of the core and gives its output: the way to reach an operation this
    /// API has no method of its own for (every one of the WIT's), e.g.
    /// `safe.run(Operation::NrsGet { name: "mysite".into(), version: None })`. Under the same
    /// lock as the methods: `Connect` and `SetKeypair` write (a `Connect` that succeeds is
    /// recorded as [`connect`](Self::connect) records it), everything else reads.
    pub async fn run(&self, operation: Operation) -> Result<Output, SafeError> {
        match operation {
            Operation::Connect(contacts) => self.connect_to(contacts).await.map(Output::Connected),
            Operation::SetKeypair { .. } => {
                let _guard = self.lock.write().await;
                self.drive(operation).await
            }
            other => self.read(other).await,
        }
    }

    /// Runs one operation on the driver, under whatever lock the caller holds.
    async fn drive(&self, operation: Operation) -> Result<Output, SafeError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Start { operation, reply }).map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    async fn read(&self, operation: Operation) -> Result<Output, SafeError> {
        let _guard = self.lock.read().await;
        self.drive(operation).await
    }

    /// How many operations the driver is running now (for diagnostics and tests).
    pub fn running_operations(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// Whether the last `connect` succeeded.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    /// The network as the last `connect` saw it.
    pub fn network(&self) -> Option<NetworkInfo> {
        self.network.lock().ok().and_then(|n| *n)
    }

    /// Connects (write lock): learns the network map from the first of `bootstrap` that answers
    /// (`host:port` or `<id hex>@host:port`), or with an empty list from the contacts file
    /// `$SAFE_HOME/network_contacts/default`.
    pub async fn connect(&self, bootstrap: &[String]) -> Result<NetworkInfo, SafeError> {
        let contacts = if bootstrap.is_empty() {
            contacts::read_contacts_file(&contacts::contacts_path())?
        } else {
            bootstrap.iter().map(|c| contacts::parse_contact(c)).collect::<Result<_, _>>()?
        };
        self.connect_to(contacts).await
    }

    /// Connects through `contacts` (write lock), recording the network.
    async fn connect_to(&self, contacts: Vec<Contact>) -> Result<NetworkInfo, SafeError> {
        let _guard = self.lock.write().await;
        match self.drive(Operation::Connect(contacts)).await? {
            Output::Connected(info) => {
                self.connected.store(true, Ordering::SeqCst);
                if let Ok(mut n) = self.network.lock() {
                    *n = Some(info);
                }
                Ok(info)
            }
            other => Err(unexpected("connect", other)),
        }
    }

    /// Stores bytes as a public file; its XOR-URL.
    pub async fn store_bytes(
        &self,
        data: impl Into<Bytes>,
        media_type: Option<&str>,
    ) -> Result<String, SafeError> {
        let op =
            Operation::StoreBytes { data: data.into(), media_type: media_type.map(str::to_owned) };
        match self.read(op).await? {
            Output::Stored(url) => Ok(url),
            other => Err(unexpected("store_bytes", other)),
        }
    }

    /// Stores a local file, read a piece at a time; its XOR-URL.
    pub async fn store_file(
        &self,
        path: impl AsRef<Path>,
        media_type: Option<&str>,
    ) -> Result<String, SafeError> {
        let source = crate::local::file_source(path.as_ref())?;
        let op = Operation::StoreFile { source, media_type: media_type.map(str::to_owned) };
        match self.read(op).await? {
            Output::Stored(url) => Ok(url),
            other => Err(unexpected("store_file", other)),
        }
    }

    /// A file's bytes, or bytes `[start, end)` of them (`end` clamped to the size; `None` for
    /// the end of the file).
    pub async fn files_get(
        &self,
        url: &str,
        range_: Option<(u64, Option<u64>)>,
    ) -> Result<Bytes, SafeError> {
        match self.read(Operation::FilesGet { url: url.to_owned(), range: range(range_) }).await? {
            Output::Bytes(b) => Ok(b),
            other => Err(unexpected("files_get", other)),
        }
    }

    /// What the URL resolves to (a file with its data, or a range of it).
    pub async fn fetch(
        &self,
        url: &str,
        range_: Option<(u64, Option<u64>)>,
    ) -> Result<SafeData, SafeError> {
        match self.read(Operation::Fetch { url: url.to_owned(), range: range(range_) }).await? {
            Output::Data(d) => Ok(d),
            other => Err(unexpected("fetch", other)),
        }
    }

    /// Every step of resolving the URL, without file contents.
    pub async fn inspect(&self, url: &str) -> Result<Vec<SafeData>, SafeError> {
        match self.read(Operation::Inspect { url: url.to_owned() }).await? {
            Output::Chain(steps) => Ok(steps),
            other => Err(unexpected("inspect", other)),
        }
    }

    /// Which nodes hold each chunk of the file the URL resolves to: the chunk it names, the data
    /// map's child levels, then the pieces, each with the nodes that should hold it, closest
    /// first, and what each said.
    pub async fn check_replicas(&self, url: &str) -> Result<FileReplicas, SafeError> {
        match self.read(Operation::CheckReplicas { url: url.to_owned() }).await? {
            Output::Replicas(replicas) => Ok(replicas),
            other => Err(unexpected("check_replicas", other)),
        }
    }

    async fn container(&self, what: &str, op: Operation) -> Result<ContainerResult, SafeError> {
        match self.read(op).await? {
            Output::Container(c) => Ok(c),
            other => Err(unexpected(what, other)),
        }
    }

    async fn url(&self, what: &str, op: Operation) -> Result<String, SafeError> {
        match self.read(op).await? {
            Output::Url(u) | Output::Stored(u) => Ok(u),
            other => Err(unexpected(what, other)),
        }
    }

    /// An empty FilesContainer; its XOR-URL.
    pub async fn files_container_create(&self) -> Result<String, SafeError> {
        self.url("files_container_create", Operation::FilesContainerCreate).await
    }

    /// A new container of a local file or folder (`recursive` for sub-folders); `dst` is where
    /// in the container the items go. Gives the container's versioned URL, what was done to
    /// each path, and the files map.
    pub async fn files_container_create_from(
        &self,
        location: &str,
        dst: Option<&str>,
        recursive: bool,
        follow_links: bool,
    ) -> Result<(String, BTreeMap<String, safe_client::FileChange>, FilesMap), SafeError> {
        let local = crate::local::walk(location, recursive, follow_links)?;
        let c = self
            .container(
                "files_container_create_from",
                Operation::FilesContainerCreateFrom { local, dst: dst.map(str::to_owned) },
            )
            .await?;
        Ok((c.url, c.processed, c.files_map))
    }

    /// Adds a local file (or folder) at the URL's path.
    pub async fn files_container_add(
        &self,
        source: &str,
        url: &str,
        force: bool,
        update_nrs: bool,
        follow_links: bool,
    ) -> Result<ContainerChange, SafeError> {
        let local = crate::local::walk(source, true, follow_links)?;
        let op = Operation::FilesContainerAdd { local, url: url.to_owned(), force, update_nrs };
        let c = self.container("files_container_add", op).await?;
        Ok((c.version, c.processed, c.files_map))
    }

    /// Adds bytes as a file at the URL's path.
    pub async fn files_container_add_from_raw(
        &self,
        data: impl Into<Bytes>,
        url: &str,
        force: bool,
        update_nrs: bool,
    ) -> Result<ContainerChange, SafeError> {
        let op = Operation::FilesContainerAddFromRaw {
            data: data.into(),
            url: url.to_owned(),
            force,
            update_nrs,
        };
        let c = self.container("files_container_add_from_raw", op).await?;
        Ok((c.version, c.processed, c.files_map))
    }

    /// Makes the URL's path match a local folder (`delete`: remove what is gone locally; it
    /// needs `recursive`).
    pub async fn files_container_sync(
        &self,
        location: &str,
        url: &str,
        recursive: bool,
        delete: bool,
        update_nrs: bool,
        follow_links: bool,
    ) -> Result<ContainerChange, SafeError> {
        // Without recursion sub-folders are listed empty, and delete would empty them in the
        // container (the TypeScript host refuses the same).
        if delete && !recursive {
            return Err(SafeError::new(
                ErrorCode::InvalidArgument,
                "delete needs recursive: a sync that does not descend into sub-folders cannot \
                 tell what was deleted in them",
            ));
        }
        let local = crate::local::walk(location, recursive, follow_links)?;
        let op = Operation::FilesContainerSync { local, url: url.to_owned(), delete, update_nrs };
        let c = self.container("files_container_sync", op).await?;
        Ok((c.version, c.processed, c.files_map))
    }

    /// Removes the URL's path (`recursive` for a folder).
    pub async fn files_container_remove_path(
        &self,
        url: &str,
        recursive: bool,
        update_nrs: bool,
    ) -> Result<ContainerChange, SafeError> {
        let op = Operation::FilesContainerRemovePath { url: url.to_owned(), recursive, update_nrs };
        let c = self.container("files_container_remove_path", op).await?;
        Ok((c.version, c.processed, c.files_map))
    }

    /// A container's version and files map, at the URL's `?v=` or the latest.
    pub async fn files_container_get(
        &self,
        url: &str,
    ) -> Result<(Option<String>, FilesMap), SafeError> {
        let c = self
            .container("files_container_get", Operation::FilesContainerGet { url: url.to_owned() })
            .await?;
        Ok((c.version, c.files_map))
    }

    /// Registers a top name to this Safe's key; its URL.
    pub async fn nrs_create(&self, top_name: &str) -> Result<String, SafeError> {
        self.url("nrs_create", Operation::NrsCreate { top_name: top_name.to_owned() }).await
    }

    /// Points a public name at a link; the versioned NRS URL.
    pub async fn nrs_associate(&self, name: &str, link: &str) -> Result<String, SafeError> {
        self.url(
            "nrs_associate",
            Operation::NrsAssociate { name: name.to_owned(), link: link.to_owned() },
        )
        .await
    }

    /// As `nrs_associate`, creating the top name if needed; `(url, created top name)`.
    pub async fn nrs_add(&self, name: &str, link: &str) -> Result<(String, bool), SafeError> {
        match self.read(Operation::NrsAdd { name: name.to_owned(), link: link.to_owned() }).await? {
            Output::NrsAdded { url, created_top_name } => Ok((url, created_top_name)),
            other => Err(unexpected("nrs_add", other)),
        }
    }

    /// Removes a public name's link; the versioned NRS URL.
    pub async fn nrs_remove(&self, name: &str) -> Result<String, SafeError> {
        self.url("nrs_remove", Operation::NrsRemove { name: name.to_owned() }).await
    }

    /// A name's link and its top name's map, at a version or the latest.
    pub async fn nrs_get(
        &self,
        name: &str,
        version: Option<&str>,
    ) -> Result<(Option<String>, BTreeMap<String, String>), SafeError> {
        match self
            .read(Operation::NrsGet { name: name.to_owned(), version: version.map(str::to_owned) })
            .await?
        {
            Output::Nrs { link, map, .. } => Ok((link, map)),
            other => Err(unexpected("nrs_get", other)),
        }
    }

    /// Every public name under `name`'s top name and its link, at `version` or the latest
    /// (sn_api's `nrs_get_subnames_map`): `nrs_get`'s map, for which `name` needs no link.
    pub async fn nrs_get_subnames_map(
        &self,
        name: &str,
        version: Option<&str>,
    ) -> Result<BTreeMap<String, String>, SafeError> {
        let op = Operation::NrsGetSubnamesMap {
            name: name.to_owned(),
            version: version.map(str::to_owned),
        };
        match self.read(op).await? {
            Output::NrsMap(map) => Ok(map),
            other => Err(unexpected("nrs_get_subnames_map", other)),
        }
    }

    /// A register owned by this Safe's key at `name` (64 hex, random if `None`); its URL.
    pub async fn register_create(
        &self,
        name: Option<&str>,
        tag: u64,
        content_type: Option<&str>,
    ) -> Result<String, SafeError> {
        let name = name.map(|n| xorname(n, "register name")).transpose()?;
        let op =
            Operation::RegisterCreate { name, tag, content_type: content_type.map(str::to_owned) };
        self.url("register_create", op).await
    }

    /// A register's current entries.
    pub async fn register_read(&self, url: &str) -> Result<Vec<RegisterEntry>, SafeError> {
        match self.read(Operation::RegisterRead { url: url.to_owned() }).await? {
            Output::Entries(e) => Ok(e),
            other => Err(unexpected("register_read", other)),
        }
    }

    /// One entry's content.
    pub async fn register_read_entry(&self, url: &str, hash: &str) -> Result<Bytes, SafeError> {
        match self
            .read(Operation::RegisterReadEntry { url: url.to_owned(), hash: hash.to_owned() })
            .await?
        {
            Output::Entry(e) => Ok(e),
            other => Err(unexpected("register_read_entry", other)),
        }
    }

    /// Writes an entry superseding `parents` (default: the current entries); its hash.
    pub async fn register_write(
        &self,
        url: &str,
        entry: impl Into<Bytes>,
        parents: Option<Vec<String>>,
    ) -> Result<String, SafeError> {
        let op = Operation::RegisterWrite { url: url.to_owned(), entry: entry.into(), parents };
        match self.read(op).await? {
            Output::EntryHash(h) => Ok(h),
            other => Err(unexpected("register_write", other)),
        }
    }

    /// A multimap at `name` (64 hex, random if `None`); its URL.
    pub async fn multimap_create(&self, name: Option<&str>, tag: u64) -> Result<String, SafeError> {
        let name = name.map(|n| xorname(n, "multimap name")).transpose()?;
        self.url("multimap_create", Operation::MultimapCreate { name, tag }).await
    }

    /// The current entries with a key.
    pub async fn multimap_get_by_key(
        &self,
        url: &str,
        key: impl Into<Bytes>,
    ) -> Result<Vec<MultimapEntry>, SafeError> {
        match self
            .read(Operation::MultimapGetByKey { url: url.to_owned(), key: key.into() })
            .await?
        {
            Output::Multimap(e) => Ok(e),
            other => Err(unexpected("multimap_get_by_key", other)),
        }
    }

    /// One entry by its hash.
    pub async fn multimap_get_by_hash(
        &self,
        url: &str,
        hash: &str,
    ) -> Result<MultimapEntry, SafeError> {
        match self
            .read(Operation::MultimapGetByHash { url: url.to_owned(), hash: hash.to_owned() })
            .await?
        {
            Output::Multimap(mut e) if !e.is_empty() => Ok(e.remove(0)),
            Output::Multimap(_) => {
                Err(SafeError::new(ErrorCode::NotFound, format!("no entry {hash} in {url}")))
            }
            other => Err(unexpected("multimap_get_by_hash", other)),
        }
    }

    /// Inserts `(key, value)`, replacing the entries `replace`; the new entry's hash.
    pub async fn multimap_insert(
        &self,
        url: &str,
        key: impl Into<Bytes>,
        value: impl Into<Bytes>,
        replace: Vec<String>,
    ) -> Result<String, SafeError> {
        let op = Operation::MultimapInsert {
            url: url.to_owned(),
            key: key.into(),
            value: value.into(),
            replace,
        };
        match self.read(op).await? {
            Output::EntryHash(h) => Ok(h),
            other => Err(unexpected("multimap_insert", other)),
        }
    }

    /// Removes entries by hash; the removal's hash.
    pub async fn multimap_remove(
        &self,
        url: &str,
        hashes: Vec<String>,
    ) -> Result<String, SafeError> {
        match self.read(Operation::MultimapRemove { url: url.to_owned(), hashes }).await? {
            Output::EntryHash(h) => Ok(h),
            other => Err(unexpected("multimap_remove", other)),
        }
    }

    async fn keypair_op(&self, what: &str, op: Operation) -> Result<KeypairInfo, SafeError> {
        match self.read(op).await? {
            Output::Keypair(k) => Ok(k),
            other => Err(unexpected(what, other)),
        }
    }

    /// A fresh key pair.
    pub async fn new_keypair(&self) -> Result<KeypairInfo, SafeError> {
        self.keypair_op("new_keypair", Operation::NewKeypair).await
    }

    /// The key pair this Safe signs with.
    pub async fn get_keypair(&self) -> Result<KeypairInfo, SafeError> {
        self.keypair_op("get_keypair", Operation::GetKeypair).await
    }

    /// Signs with another key pair, given its secret key (write lock).
    pub async fn set_keypair(&self, secret_key: &str) -> Result<(), SafeError> {
        let _guard = self.lock.write().await;
        self.drive(Operation::SetKeypair { secret_key: secret_key.to_owned() }).await.map(|_| ())
    }

    async fn key_created(
        &self,
        what: &str,
        op: Operation,
    ) -> Result<(String, KeypairInfo), SafeError> {
        match self.read(op).await? {
            Output::KeyCreated { url, keypair } => Ok((url, keypair)),
            other => Err(unexpected(what, other)),
        }
    }

    /// A new key the test network's faucet paid; `(SafeKey URL, key pair)`.
    pub async fn keys_create_preload_test_coins(
        &self,
        amount: &str,
    ) -> Result<(String, KeypairInfo), SafeError> {
        self.key_created(
            "keys_create_preload_test_coins",
            Operation::KeysCreatePreloadTestCoins { amount: amount.to_owned() },
        )
        .await
    }

    /// A new key paid from another key (or the faucet).
    pub async fn keys_create_and_preload(
        &self,
        amount: &str,
        from_secret_key: Option<&str>,
    ) -> Result<(String, KeypairInfo), SafeError> {
        let op = Operation::KeysCreateAndPreload {
            amount: amount.to_owned(),
            from_secret_key: from_secret_key.map(str::to_owned),
        };
        self.key_created("keys_create_and_preload", op).await
    }

    /// A key's balance, e.g. `"9"`, `"0.5"`.
    pub async fn keys_balance(&self, secret_key: &str) -> Result<String, SafeError> {
        match self.read(Operation::KeysBalance { secret_key: secret_key.to_owned() }).await? {
            Output::Balance(b) => Ok(b),
            other => Err(unexpected("keys_balance", other)),
        }
    }

    /// Pays `amount` to a key's SafeKey URL; the transfer id.
    pub async fn keys_transfer(
        &self,
        amount: &str,
        from_secret_key: &str,
        to_url: &str,
    ) -> Result<String, SafeError> {
        let op = Operation::KeysTransfer {
            amount: amount.to_owned(),
            from_secret_key: from_secret_key.to_owned(),
            to_url: to_url.to_owned(),
        };
        match self.read(op).await? {
            Output::TransferId(id) => Ok(id),
            other => Err(unexpected("keys_transfer", other)),
        }
    }

    /// Rejects calls in flight with `Closed`, tells the nodes, releases the sockets. Later
    /// calls fail with `Closed`.
    pub async fn close(&self) {
        let (reply, done) = oneshot::channel();
        if self.commands.send(Command::Close { reply }).is_ok() {
            let _ = done.await;
        }
        let _guard = self.lock.write().await;
        self.connected.store(false, Ordering::SeqCst);
    }
}
