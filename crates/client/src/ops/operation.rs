//! [`Operation`] (what a caller can start) and [`Output`] (what a finished one gives), assembled
//! from the tables of the op modules, and the one place that turns an operation into its
//! running future.
//!
//! # The tables
//! Each op module declares its operations and the shapes of output only it gives in one
//! `table!` macro (the module list is `with_tables!` in `ops/mod.rs`). An operation's entry is
//!
//! ```text
//! /// Docs of the variant.
//! Variant { /// docs
//!           field: Type, ... } -> OutputVariant = "snake_name" by start_fn;
//! ```
//!
//! (or `Variant(field: Type)` for one unnamed field, or `Variant` for none; `, offline` after
//! the start function for an operation that needs no network map, `, offline_when_dry` for one
//! that needs none in a dry runner, where it only writes). It becomes the variant of
//! [`Operation`], its [`name`](Operation::name) (the core's own snake_case name, for messages
//! and logs: hosts may show their own), and a dispatch arm calling
//! `module::start_fn(net, field, ...)` with the fields in order. The start function checks the
//! arguments and returns the work ([`Started`]); its value becomes the output variant:
//! `-> Url` wraps it (`Output::Url(value)`), `-> NrsAdded { url, created_top_name }` takes a
//! tuple of those fields, `-> Done {}` takes `()`. An output entry (`Variant(Type)` or
//! `Variant { field: Type, ... }`) declares a variant of [`Output`].
//!
//! So an operation is written in one module: its arguments, docs, name, checks and work, and
//! any output shape of its own. Types in a table are written with their full paths
//! (`bytes::Bytes`, `crate::ops::files::ByteRange`), as they are read here.
//!
//! The dispatch checks once that the client is connected: every operation needs the network
//! map but the `offline` ones and, in a dry runner, the `offline_when_dry` ones.
//!
//! # Dry runs
//! A client made with [`Config::dry_run`](crate::Config::dry_run) is sn_api's dry runner: every
//! operation runs as usual, but each write to the network is skipped at the one place it would
//! be sent (a chunk put, a register creation or entry, a transfer, the faucet: see
//! `Net::dry_run`) and answered with what it would have given (the chunk's address, the
//! register's URL, the entry's hash, the transfer's id). So a dry store gives the very XOR-URL a
//! store would, and a dry container operation the URL, processed files and FilesMap it would,
//! reading what it needs (a container's latest version) from the network; later reads of what
//! a dry run "wrote" find nothing.

use futures::FutureExt;

// The op modules whose tables `with_tables!` names, and whose start functions the dispatch
// arms call.
#[cfg(doc)]
use super::output::Started;
use super::output::Work;
use super::{
    connect, containers, files, keys, multimap, nrs, output, registers, replicas, resolve,
};
use crate::error::{Error, ErrorCode};
use crate::events::OpId;
use crate::net::Net;

/// A started operation, as the client runs it.
pub(crate) type OpFuture = Work<Output>;

/// Collects the tables of the modules `[a::table, b::table, ...]` one by one, then hands them
/// all to `$define`.
macro_rules! collect {
    ([] $define:ident $($tables:tt)*) => { $define! { $($tables)* } };
    ([$module:ident :: $table:ident $(, $($rest:tt)*)?] $define:ident $($tables:tt)*) => {
        $module::$table! { collect! { [$($($rest)*)?] $define $($tables)* } }
    };
}

/// `true` unless the entry says `offline`, or `offline_when_dry` and `$dry` (whether the client
/// is a dry runner) holds.
macro_rules! needs_map {
    ($dry:ident) => {
        true
    };
    ($dry:ident offline) => {
        false
    };
    ($dry:ident offline_when_dry) => {
        !$dry
    };
}

/// The output variant for what an operation's work gave (`$value`).
macro_rules! output_of {
    ($value:ident, $variant:ident) => {
        Output::$variant($value)
    };
    ($value:ident, $variant:ident { $($field:ident),* }) => {{
        let ($($field),*) = $value;
        Output::$variant { $($field),* }
    }};
}

/// [`Operation`], its name and its dispatch, from every module's operations.
macro_rules! define_operation {
    ($( [$module:ident] {
        operations { $(
            $(#[$vm:meta])*
            $variant:ident
            $( ( $tf:ident : $tt:ty ) )?
            $( { $( $(#[$fm:meta])* $field:ident : $fty:ty ),* $(,)? } )?
            -> $out:ident $( { $($of:ident),* } )?
            = $name:literal by $start:ident $(, $offline:ident)?;
        )* }
        outputs { $($outputs:tt)* }
    } )*) => {
        /// An operation a caller can start (see [`Client::start`](crate::Client::start)).
        #[derive(Debug)]
        pub enum Operation { $($(
            $(#[$vm])*
            $variant $( ($tt) )? $( { $( $(#[$fm])* $field: $fty ),* } )?,
        )*)* }

        impl Operation {
            /// The operation's name for messages and logs, in the core's own words
            /// (`files_get`); a host may show its own names instead.
            pub fn name(&self) -> &'static str {
                match self { $($( Self::$variant { .. } => $name, )*)* }
            }

            /// Whether the operation needs the network map, i.e. a successful `Connect` first
            /// (`dry_run`: in a dry runner).
            fn needs_map(&self, dry_run: bool) -> bool {
                match self { $($( Self::$variant { .. } => needs_map!(dry_run $($offline)?), )*)* }
            }

            /// Has the op module check the arguments and make the work; its value becomes the
            /// operation's output.
            fn dispatch(self, net: Net) -> Result<OpFuture, Error> {
                match self { $($(
                    Self::$variant $( ($tf) )? $( { $($field),* } )? => {
                        let work = $module::$start(net $(, $tf)? $($(, $field)*)?)?;
                        Ok(async move {
                            let value = work.await?;
                            Ok(output_of!(value, $out $({ $($of),* })?))
                        }
                        .boxed_local())
                    }
                )*)* }
            }
        }
    };
}

/// [`Output`] from every module's outputs.
macro_rules! define_output {
    ($( [$module:ident] {
        operations { $($operations:tt)* }
        outputs { $(
            $(#[$vm:meta])*
            $variant:ident
            $( ( $ty:ty ) )?
            $( { $( $(#[$fm:meta])* $field:ident : $fty:ty ),* $(,)? } )?
        ),* $(,)? }
    } )*) => {
        /// What a finished operation gives.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Output { $($(
            $(#[$vm])*
            $variant $( ($ty) )? $( { $( $(#[$fm])* $field: $fty ),* } )?,
        )*)* }
    };
}

with_tables!(define_operation);
with_tables!(define_output);

/// An operation that finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The id `start` returned.
    pub id: OpId,
    /// What it gave, or why it failed.
    pub result: Result<Output, Error>,
}

impl Operation {
    /// What a timeout of this operation should say.
    pub(crate) fn timeout_error(&self, secs: f64) -> Error {
        match self {
            Self::Connect(contacts) => Error::network(format!(
                "could not reach any of the {} bootstrap contact(s) within {secs} s: check that \
                 the network is running and the contacts are right",
                contacts.len()
            )),
            other => Error::new(
                ErrorCode::Timeout,
                format!(
                    "{} did not finish within {secs} s: the network may be slow or partly \
                     down; try again, or give the Safe a longer timeout",
                    other.name()
                ),
            ),
        }
    }

    /// Checks that the client is connected when the operation needs it, then has the op
    /// module check the arguments and make the future.
    pub(crate) fn start(self, net: &Net) -> Result<OpFuture, Error> {
        if self.needs_map(net.dry_run()) {
            net.map()?;
        }
        self.dispatch(net.clone())
    }
}
