//! The wasm engine: `pkg/safe_client.wasm` in wasmtime's component model, async on tokio.
//!
//! The host implements the world's two imported resources here: `udp-socket` on a tokio
//! [`UdpSocket`] (non-blocking batched send) and `byte-source` on a [`Source`] (a local file or
//! bytes in memory). WASI comes from `wasmtime-wasi` with nothing granted: no preopened
//! directories, no environment, no arguments, no network; stderr is inherited for the
//! component's logs. What the guest sends passes the [`SendGate`] allowlist. Guest memory is capped by [`StoreLimits`], and every call into the guest
//! runs under an epoch deadline, so a runaway guest traps instead of hanging the driver. A trap
//! ends this instance only: the engine reports [`Fatal`] and the driver fails what is pending.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use safe_client::{Operation, Output, Progress};
use tokio::net::UdpSocket;
use wasmtime::component::{Component, HasSelf, Linker, Resource, ResourceAny, ResourceTable};
use wasmtime::{Config, Engine as WasmtimeEngine, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::gate::SendGate;
use super::{Engine, Fatal, Finished};
use crate::bindings::exports::safe::client::client as wit;
use crate::bindings::safe::client::{datagram, source};
use crate::bindings::SafeClient;
use crate::convert::{self, Convert};
use crate::resources::{HostSocket, HostSource};
use crate::{ErrorCode, SafeError};

/// How often the epoch advances.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// What the store holds for one instance.
struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
    gate: SendGate,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl datagram::Host for State {}

impl datagram::HostUdpSocket for State {
    fn local_address(&mut self, socket: Resource<HostSocket>) -> datagram::IpSocketAddress {
        match self.table.get(&socket) {
            Ok(s) => convert::ip_socket_address(s.local),
            Err(_) => convert::ip_socket_address(SocketAddr::from(([0, 0, 0, 0], 0))),
        }
    }

    fn send(&mut self, socket: Resource<HostSocket>, datagrams: Vec<datagram::Datagram>) {
        if let Ok(s) = self.table.get(&socket) {
            self.gate.send(
                &s.socket,
                datagrams.into_iter().map(|d| (convert::socket_addr(&d.remote), d.data)),
            );
        }
    }

    fn drop(&mut self, socket: Resource<HostSocket>) -> wasmtime::Result<()> {
        self.table.delete(socket)?;
        Ok(())
    }
}

impl source::Host for State {}

impl source::HostByteSource for State {
    fn size(&mut self, source: Resource<HostSource>) -> u64 {
        self.table.get(&source).map(|s| s.0.size()).unwrap_or(0)
    }

    fn read(&mut self, source: Resource<HostSource>, max: u32) -> Result<Vec<u8>, String> {
        let s = self.table.get_mut(&source).map_err(|e| e.to_string())?;
        s.0.read(max as usize).map(|b| b.to_vec())
    }

    fn drop(&mut self, source: Resource<HostSource>) -> wasmtime::Result<()> {
        self.table.delete(source)?;
        Ok(())
    }
}

/// The process's one wasmtime engine, with a thread that advances its epoch.
fn wasmtime_engine() -> Result<&'static WasmtimeEngine, SafeError> {
    static ENGINE: OnceLock<Result<WasmtimeEngine, String>> = OnceLock::new();
    let engine = ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config.wasm_component_model(true).epoch_interruption(true);
        let engine = WasmtimeEngine::new(&config).map_err(|e| e.to_string())?;
        let ticker = engine.clone();
        std::thread::Builder::new()
            .name("safe-wasmtime-epoch".into())
            .spawn(move || loop {
                std::thread::sleep(EPOCH_TICK);
                ticker.increment_epoch();
            })
            .map_err(|e| e.to_string())?;
        Ok(engine)
    });
    engine.as_ref().map_err(|e| {
        SafeError::new(crate::ErrorCode::Internal, format!("cannot start wasmtime: {e}"))
    })
}

/// Compiled components by path, so that several `Safe`s in one process compile it once; across
/// processes, [`cache`](super::cache) keeps them on disk.
fn load_component(path: &Path, cache_dir: Option<&Path>) -> Result<Component, SafeError> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static LOADED: OnceLock<Mutex<HashMap<std::path::PathBuf, Component>>> = OnceLock::new();
    let loaded = LOADED.get_or_init(Default::default);
    if let Some(c) = loaded.lock().ok().and_then(|c| c.get(path).cloned()) {
        return Ok(c);
    }
    let engine = wasmtime_engine()?;
    let bytes = std::fs::read(path).map_err(|e| {
        SafeError::new(
            crate::ErrorCode::InvalidArgument,
            format!(
                "cannot read the component {}: {e}; build it with `npm run build` or pass its path",
                path.display()
            ),
        )
    })?;
    let component = super::cache::component(engine, &bytes, cache_dir).map_err(|e| {
        SafeError::new(
            crate::ErrorCode::InvalidArgument,
            format!("{} is not a usable component: {e:#}", path.display()),
        )
    })?;
    if let Ok(mut c) = loaded.lock() {
        c.insert(path.to_path_buf(), component.clone());
    }
    Ok(component)
}

/// Limits, cache and allowlist of one wasm instance.
#[derive(Debug, Clone)]
pub(crate) struct WasmOptions {
    /// The most linear memory the guest may have, in bytes.
    pub(crate) max_memory: usize,
    /// The most time one call into the guest may run.
    pub(crate) call_budget: Duration,
    /// Where compiled components are kept between processes; `None` compiles each time.
    pub(crate) cache_dir: Option<std::path::PathBuf>,
    /// Addresses the guest may send to besides the bootstrap contacts and the network map.
    pub(crate) allow: Vec<SocketAddr>,
}

/// One instance of the component and its `client` resource.
pub(crate) struct WasmEngine {
    store: Store<State>,
    bindings: SafeClient,
    client: ResourceAny,
    ticks: u64,
}

fn trap(e: wasmtime::Error) -> Fatal {
    Fatal(format!("{e:#}"))
}

/// A guest's error as the API's.
fn from_guest(e: wit::Error, table: &mut ResourceTable) -> SafeError {
    let message = e.message.clone();
    e.convert(table).map_or_else(|_| SafeError::new(ErrorCode::Internal, message), SafeError::from)
}

/// A guest's response as the core's output; one that does not convert is a guest bug.
fn output(response: wit::Response, table: &mut ResourceTable) -> Result<Output, SafeError> {
    response.convert(table).map_err(|e| {
        SafeError::new(
            ErrorCode::Internal,
            format!("the component gave an output the host cannot read: {}", e.message),
        )
    })
}

impl WasmEngine {
    /// Instantiates the component at `path` and creates its client.
    pub(crate) async fn new(
        path: &Path,
        config: safe_client::Config,
        limits: WasmOptions,
    ) -> Result<Self, SafeError> {
        let component = load_component(path, limits.cache_dir.as_deref())?;
        let engine = wasmtime_engine()?;
        let internal = |what: &str, e: wasmtime::Error| {
            SafeError::new(crate::ErrorCode::Internal, format!("{what}: {e:#}"))
        };
        let mut linker: Linker<State> = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| internal("linking WASI", e))?;
        SafeClient::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)
            .map_err(|e| internal("linking the host", e))?;
        // Nothing granted: no directories, no environment, no arguments, no sockets.
        let wasi = WasiCtx::builder().inherit_stderr().build();
        let state = State {
            wasi,
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.max_memory)
                .trap_on_grow_failure(true)
                .build(),
            gate: SendGate::default(),
        };
        let mut store = Store::new(engine, state);
        store.data_mut().gate.allow(limits.allow);
        store.limiter(|s| &mut s.limits);
        let ticks = (limits.call_budget.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
        store.set_epoch_deadline(ticks);
        let options: wit::Options = config.convert(&mut store.data_mut().table)?;
        let bindings = SafeClient::instantiate_async(&mut store, &component, &linker)
            .await
            .map_err(|e| internal("the component could not start", e))?;
        store.set_epoch_deadline(ticks);
        let client = bindings
            .safe_client_client()
            .client()
            .call_constructor(&mut store, options)
            .await
            .map_err(|e| internal("the component could not start", e))?;
        Ok(Self { store, bindings, client, ticks })
    }

    /// Gives the next call into the guest its time budget.
    fn arm(&mut self) {
        self.store.set_epoch_deadline(self.ticks);
    }

    /// After a call into the guest: when it tried to send outside the allowlist, asks it for
    /// its network map once, sends what the map now explains and drops (and reports) the rest.
    async fn settle(&mut self) -> Result<(), Fatal> {
        if !self.store.data().gate.holding() {
            return Ok(());
        }
        self.arm();
        let (api, client) = (self.bindings.safe_client_client().client(), self.client);
        let nodes = api.call_node_addresses(&mut self.store, client).await.map_err(trap)?;
        let refused = self.store.data_mut().gate.settle(nodes.iter().map(convert::socket_addr));
        for (address, datagrams) in refused {
            eprintln!(
                "safe-wasmtime: refused to send {datagrams} datagram(s) to {address}: not a node \
                 of the network; if it is one, allow it with --allow {address}"
            );
        }
        Ok(())
    }
}

impl Engine for WasmEngine {
    async fn attach_socket(
        &mut self,
        socket: Arc<UdpSocket>,
        local: SocketAddr,
    ) -> Result<u32, Fatal> {
        let resource = self
            .store
            .data_mut()
            .table
            .push(HostSocket { socket, local })
            .map_err(|e| Fatal(e.to_string()))?;
        self.arm();
        let (api, client) = (self.bindings.safe_client_client().client(), self.client);
        let index =
            api.call_attach_socket(&mut self.store, client, resource).await.map_err(trap)?;
        self.settle().await?;
        Ok(index)
    }

    async fn handle_datagrams(
        &mut self,
        socket: u32,
        datagrams: Vec<(SocketAddr, Vec<u8>)>,
    ) -> Result<(), Fatal> {
        let datagrams: Vec<_> = datagrams
            .into_iter()
            .map(|(remote, data)| datagram::Datagram {
                remote: convert::ip_socket_address(remote),
                data,
            })
            .collect();
        self.arm();
        let (api, client) = (self.bindings.safe_client_client().client(), self.client);
        api.call_handle_datagrams(&mut self.store, client, socket, &datagrams)
            .await
            .map_err(trap)?;
        self.settle().await
    }

    async fn handle_timeout(&mut self) -> Result<(), Fatal> {
        self.arm();
        let (api, client) = (self.bindings.safe_client_client().client(), self.client);
        api.call_handle_timeout(&mut self.store, client).await.map_err(trap)?;
        self.settle().await
    }

    async fn next_timeout(&mut self) -> Result<Option<Duration>, Fatal> {
        self.arm();
        let (api, client) = (self.bindings.safe_client_client().client(), self.client);
        let micros = api.call_next_timeout(&mut self.store, client).await.map_err(trap)?;
        self.settle().await?;
        Ok(micros.map(Duration::from_micros))
    }

    async fn start(&mut self, operation: Operation) -> Result<Result<u64, SafeError>, Fatal> {
        if let Operation::Connect(contacts) = &operation {
            self.store.data_mut().gate.allow(contacts.iter().map(|c| c.addr));
        }
        let request: wit::Request = match operation.convert(&mut self.store.data_mut().table) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e.into())),
        };
        self.arm();
        let (api, client) = (self.bindings.safe_client_client().client(), self.client);
        let started = api.call_start(&mut self.store, client, &request).await.map_err(trap)?;
        self.settle().await?;
        let table = &mut self.store.data_mut().table;
        Ok(started.map_err(|e| from_guest(e, table)))
    }

    async fn cancel(&mut self, id: u64) -> Result<(), Fatal> {
        self.arm();
        let (api, client) = (self.bindings.safe_client_client().client(), self.client);
        api.call_cancel(&mut self.store, client, id).await.map_err(trap)?;
        self.settle().await
    }

    async fn drain_completions(&mut self) -> Result<Vec<Finished>, Fatal> {
        self.arm();
        let (api, client) = (self.bindings.safe_client_client().client(), self.client);
        let completions =
            api.call_drain_completions(&mut self.store, client).await.map_err(trap)?;
        self.settle().await?;
        let table = &mut self.store.data_mut().table;
        Ok(completions
            .into_iter()
            .map(|c| {
                let outcome = match c.outcome {
                    Ok(response) => output(response, table),
                    Err(e) => Err(from_guest(e, table)),
                };
                (c.id, outcome)
            })
            .collect())
    }

    async fn drain_progress(&mut self) -> Result<Vec<Progress>, Fatal> {
        self.arm();
        let (api, client) = (self.bindings.safe_client_client().client(), self.client);
        let progress = api.call_drain_progress(&mut self.store, client).await.map_err(trap)?;
        self.settle().await?;
        let table = &mut self.store.data_mut().table;
        Ok(progress.into_iter().filter_map(|p| p.convert(table).ok()).collect())
    }

    /// Drops the `client` resource: its destructor tells the nodes the connections close.
    async fn close(&mut self) {
        self.arm();
        if let Err(e) = self.client.resource_drop_async(&mut self.store).await {
            super::tracing_free_log(&format!("dropping the client failed: {e:#}"));
        }
        // The client is gone: nothing can explain a held datagram any more.
        for (address, datagrams) in self.store.data_mut().gate.settle([]) {
            eprintln!(
                "safe-wasmtime: refused to send {datagrams} datagram(s) to {address} while closing"
            );
        }
    }
}
