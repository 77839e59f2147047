//! The one conversion between the core's types (`safe_client`) and the WIT's (`wit/`), both
//! ways, compiled into two crates: the component, where wit-bindgen generated the WIT types
//! (`mod convert;`), and the Rust host, where wasmtime's `bindgen!` did
//! (`#[path = "../../component/src/convert.rs"] mod convert;`). The two generators give the
//! same type tree at the same paths (`crate::bindings::exports::safe::client::client`), so the
//! same code converts in both; the guest uses one direction (requests in, outputs out), the host
//! the other, and each crate compiles both, so every match below is checked exhaustive against
//! both the core's enums and the WIT's in either build.
//!
//! The only types that differ between the two are the WIT resources: each crate's `resources`
//! module names its `byte-source` type ([`WitByteSource`]), the context a conversion may need
//! to lend one ([`Cx`]: the host's resource table, nothing in the guest) and how a source
//! crosses in each direction.
//!
//! An operation is converted by its line in `both_ways!(Operation <=> wit::Request; ...)`: the
//! core's variant and fields on the left, the WIT case and its payload (written with the same
//! names) on the right; each named value is converted by [`Convert`] on the way, whichever way
//! that is. Records with the same fields on both sides are listed in `record!`.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::time::Duration;

use bytes::Bytes;
use safe_client::safe_types::{XorName, XorUrlBase};
use safe_client::{
    ByteRange, ChunkKind, ChunkReplicas, Config, Contact, ContainerResult, Error, ErrorCode,
    FileChange, FileReplicas, FilesContainerData, KeypairInfo, LocalItem, LocalItems, LocalKind,
    MultimapData, MultimapEntry, NetworkInfo, NrsEntryData, NrsMapContainerData, Operation, Output,
    Progress, ProgressUnit, PublicFile, RegisterData, RegisterEntry, Replica, ReplicaState,
    SafeData, SafeKeyData, Source,
};

use crate::bindings::exports::safe::client::client as wit;
use crate::bindings::safe::client::datagram::{
    IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress,
};
use crate::resources::{self, Cx, WitByteSource};

/// A value converted to its other form: from the core's type to the WIT's, or back.
pub(crate) trait Convert<T> {
    /// The value as a `T`; fails when it does not fit (a name of the wrong length, a source
    /// that cannot be lent).
    fn convert(self, cx: &mut Cx) -> Result<T, Error>;
}

// ---- values that are the same on both sides ---------------------------------------------------

macro_rules! same {
    ($($t:ty),*) => {$(
        impl Convert<$t> for $t {
            fn convert(self, _: &mut Cx) -> Result<$t, Error> {
                Ok(self)
            }
        }
    )*};
}
same!(String, bool, u8, u16, u32, u64);

impl<A: Convert<B>, B> Convert<Option<B>> for Option<A> {
    fn convert(self, cx: &mut Cx) -> Result<Option<B>, Error> {
        self.map(|a| a.convert(cx)).transpose()
    }
}

impl<A: Convert<B>, B> Convert<Vec<B>> for Vec<A> {
    fn convert(self, cx: &mut Cx) -> Result<Vec<B>, Error> {
        self.into_iter().map(|a| a.convert(cx)).collect()
    }
}

impl<A: Convert<X>, B: Convert<Y>, X, Y> Convert<(X, Y)> for (A, B) {
    fn convert(self, cx: &mut Cx) -> Result<(X, Y), Error> {
        Ok((self.0.convert(cx)?, self.1.convert(cx)?))
    }
}

/// A map is a WIT list of pairs, in key order.
impl<K: Convert<K2>, V: Convert<V2>, K2, V2> Convert<Vec<(K2, V2)>> for BTreeMap<K, V> {
    fn convert(self, cx: &mut Cx) -> Result<Vec<(K2, V2)>, Error> {
        self.into_iter().map(|(k, v)| Ok((k.convert(cx)?, v.convert(cx)?))).collect()
    }
}

impl<K2: Convert<K>, V2: Convert<V>, K: Ord, V> Convert<BTreeMap<K, V>> for Vec<(K2, V2)> {
    fn convert(self, cx: &mut Cx) -> Result<BTreeMap<K, V>, Error> {
        self.into_iter().map(|(k, v)| Ok((k.convert(cx)?, v.convert(cx)?))).collect()
    }
}

// ---- values with another form -----------------------------------------------------------------

impl Convert<Vec<u8>> for Bytes {
    fn convert(self, _: &mut Cx) -> Result<Vec<u8>, Error> {
        Ok(self.into())
    }
}

impl Convert<Bytes> for Vec<u8> {
    fn convert(self, _: &mut Cx) -> Result<Bytes, Error> {
        Ok(self.into())
    }
}

impl Convert<Vec<u8>> for XorName {
    fn convert(self, _: &mut Cx) -> Result<Vec<u8>, Error> {
        Ok(self.0.to_vec())
    }
}

/// A name (a register's, a node's id) must be 32 bytes.
impl Convert<XorName> for Vec<u8> {
    fn convert(self, _: &mut Cx) -> Result<XorName, Error> {
        let len = self.len();
        self.try_into().map(XorName).map_err(|_| {
            Error::new(
                ErrorCode::InvalidArgument,
                format!("a name (an XorName, a node id) is 32 bytes, got {len}"),
            )
        })
    }
}

/// A count the WIT keeps in 32 bits (the nodes of a network map).
impl Convert<u32> for usize {
    fn convert(self, _: &mut Cx) -> Result<u32, Error> {
        Ok(u32::try_from(self).unwrap_or(u32::MAX))
    }
}

impl Convert<usize> for u32 {
    fn convert(self, _: &mut Cx) -> Result<usize, Error> {
        Ok(usize::try_from(self).unwrap_or(usize::MAX))
    }
}

impl Convert<WitByteSource> for Source {
    fn convert(self, cx: &mut Cx) -> Result<WitByteSource, Error> {
        resources::lend(self, cx)
    }
}

impl Convert<Source> for WitByteSource {
    fn convert(self, cx: &mut Cx) -> Result<Source, Error> {
        resources::borrow(self, cx)
    }
}

/// The socket address of a WIT one.
pub(crate) fn socket_addr(a: &IpSocketAddress) -> SocketAddr {
    match a {
        IpSocketAddress::Ipv4(v4) => {
            let (a, b, c, d) = v4.address;
            SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), v4.port))
        }
        IpSocketAddress::Ipv6(v6) => {
            let (a, b, c, d, e, f, g, h) = v6.address;
            SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::new(a, b, c, d, e, f, g, h),
                v6.port,
                v6.flow_info,
                v6.scope_id,
            ))
        }
    }
}

/// The WIT form of a socket address.
pub(crate) fn ip_socket_address(a: SocketAddr) -> IpSocketAddress {
    match a {
        SocketAddr::V4(v4) => {
            let [a, b, c, d] = v4.ip().octets();
            IpSocketAddress::Ipv4(Ipv4SocketAddress { port: v4.port(), address: (a, b, c, d) })
        }
        SocketAddr::V6(v6) => {
            let [a, b, c, d, e, f, g, h] = v6.ip().segments();
            IpSocketAddress::Ipv6(Ipv6SocketAddress {
                port: v6.port(),
                flow_info: v6.flowinfo(),
                address: (a, b, c, d, e, f, g, h),
                scope_id: v6.scope_id(),
            })
        }
    }
}

impl Convert<IpSocketAddress> for SocketAddr {
    fn convert(self, _: &mut Cx) -> Result<IpSocketAddress, Error> {
        Ok(ip_socket_address(self))
    }
}

impl Convert<SocketAddr> for IpSocketAddress {
    fn convert(self, _: &mut Cx) -> Result<SocketAddr, Error> {
        Ok(socket_addr(&self))
    }
}

/// The client's options: the WIT's timeout in milliseconds; a seed only the core's tests set.
impl Convert<Config> for wit::Options {
    fn convert(self, cx: &mut Cx) -> Result<Config, Error> {
        Ok(Config {
            rng_seed: None,
            timeout: Duration::from_millis(self.timeout_ms),
            xorurl_base: self.xorurl_base.convert(cx)?,
            dry_run: self.dry_run,
        })
    }
}

impl Convert<wit::Options> for Config {
    fn convert(self, cx: &mut Cx) -> Result<wit::Options, Error> {
        Ok(wit::Options {
            timeout_ms: u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX),
            xorurl_base: self.xorurl_base.convert(cx)?,
            dry_run: self.dry_run,
        })
    }
}

// ---- records: the same fields on both sides ---------------------------------------------------

macro_rules! record {
    ($core:ident { $($field:ident),* $(,)? } <=> wit::$wit:ident) => {
        impl Convert<wit::$wit> for $core {
            fn convert(self, cx: &mut Cx) -> Result<wit::$wit, Error> {
                let Self { $($field),* } = self;
                Ok(wit::$wit { $( $field: $field.convert(cx)? ),* })
            }
        }
        impl Convert<$core> for wit::$wit {
            fn convert(self, cx: &mut Cx) -> Result<$core, Error> {
                let Self { $($field),* } = self;
                Ok($core { $( $field: $field.convert(cx)? ),* })
            }
        }
    };
}

/// A contact's address and node id (`addr`, `id` in the core).
impl Convert<wit::Contact> for Contact {
    fn convert(self, cx: &mut Cx) -> Result<wit::Contact, Error> {
        Ok(wit::Contact { address: self.addr.convert(cx)?, node_id: self.id.convert(cx)? })
    }
}

impl Convert<Contact> for wit::Contact {
    fn convert(self, cx: &mut Cx) -> Result<Contact, Error> {
        Ok(Contact { addr: self.address.convert(cx)?, id: self.node_id.convert(cx)? })
    }
}

record!(Error { code, message } <=> wit::Error);
record!(Progress { id, done, total, unit, item } <=> wit::Progress);
record!(ByteRange { start, end } <=> wit::ByteRange);
record!(LocalItems { location, items } <=> wit::LocalItems);
record!(LocalItem { path, kind, mode_bits, readonly, created, modified } <=> wit::LocalItem);
record!(NetworkInfo { nodes, epoch, replication_factor } <=> wit::NetworkInfo);
record!(KeypairInfo { public_key, secret_key } <=> wit::Keypair);
record!(RegisterEntry { hash, entry } <=> wit::RegisterEntry);
record!(MultimapEntry { hash, key, value } <=> wit::MultimapEntry);
record!(ContainerResult { url, version, processed, files_map } <=> wit::ContainerResult);
record!(PublicFile { metadata, xorurl, xorname, data, media_type, resolved_from, size }
    <=> wit::PublicFile);
record!(FilesContainerData { xorurl, xorname, type_tag, version, files_map, metadata, resolved_from }
    <=> wit::FilesContainer);
record!(NrsMapContainerData { public_name, xorurl, xorname, type_tag, version, nrs_map, resolved_from }
    <=> wit::NrsMapContainer);
record!(NrsEntryData { public_name, xorurl, version, resolves_into, resolved_from }
    <=> wit::NrsEntry);
record!(SafeKeyData { xorurl, xorname, resolved_from } <=> wit::SafeKey);
record!(RegisterData { xorurl, xorname, type_tag, entries, resolved_from } <=> wit::RegisterData);
record!(MultimapData { xorurl, xorname, type_tag, entries, resolved_from } <=> wit::MultimapData);
record!(FileReplicas { xorurl, replication_factor, chunks } <=> wit::FileReplicas);
record!(ChunkReplicas { address, kind, holders } <=> wit::ChunkReplicas);
record!(Replica { node, addr, state } <=> wit::Replica);

// ---- enums and variants: one line per case ---------------------------------------------------

macro_rules! both_ways {
    ($core:ident <=> $wit:path; $(
        $variant:ident $( ( $($tv:ident),* ) )? $( { $($fv:ident),* } )?
        <=> $case:ident $( ( $($payload:tt)* ) )?;
    )*) => {
        impl Convert<$wit> for $core {
            #[allow(unused_variables, reason = "cases without values need no context")]
            fn convert(self, cx: &mut Cx) -> Result<$wit, Error> {
                type W = $wit;
                Ok(match self { $(
                    $core::$variant $( ( $($tv),* ) )? $( { $($fv),* } )? => {
                        $( $( let $tv = $tv.convert(cx)?; )* )?
                        $( $( let $fv = $fv.convert(cx)?; )* )?
                        W::$case $( ( $($payload)* ) )?
                    }
                )* })
            }
        }
        impl Convert<$core> for $wit {
            #[allow(unused_variables, reason = "cases without values need no context")]
            fn convert(self, cx: &mut Cx) -> Result<$core, Error> {
                type W = $wit;
                Ok(match self { $(
                    W::$case $( ( $($payload)* ) )? => {
                        $( $( let $tv = $tv.convert(cx)?; )* )?
                        $( $( let $fv = $fv.convert(cx)?; )* )?
                        $core::$variant $( ( $($tv),* ) )? $( { $($fv),* } )?
                    }
                )* })
            }
        }
    };
}

both_ways!(ErrorCode <=> wit::ErrorCode;
    InvalidArgument <=> InvalidArgument;
    InvalidUrl <=> InvalidUrl;
    NotFound <=> NotFound;
    Timeout <=> Timeout;
    NotConnected <=> NotConnected;
    Network <=> Network;
    Protocol <=> Protocol;
    Cancelled <=> Cancelled;
    NotOwner <=> NotOwner;
    InsufficientBalance <=> InsufficientBalance;
    Conflict <=> Conflict;
    Internal <=> Internal;
);

both_ways!(XorUrlBase <=> wit::XorurlBase;
    Base32z <=> Base32z;
    Base32 <=> Base32;
    Base64 <=> Base64;
);

both_ways!(ProgressUnit <=> wit::ProgressUnit;
    Bytes <=> Bytes;
    Files <=> Files;
);

both_ways!(ChunkKind <=> wit::ChunkKind;
    Root <=> Root;
    MapLevel <=> MapLevel;
    Piece <=> Piece;
);

both_ways!(ReplicaState <=> wit::ReplicaState;
    Held <=> Held;
    Missing <=> Missing;
    NoAnswer <=> NoAnswer;
);

both_ways!(LocalKind <=> wit::LocalKind;
    File(source) <=> File(source);
    Dir <=> Dir;
    Symlink { target, target_type } <=> Symlink((target, target_type));
);

both_ways!(FileChange <=> wit::FileChange;
    Added(link) <=> Added(link);
    Updated(link) <=> Updated(link);
    Removed(link) <=> Removed(link);
    Failed(why) <=> Failed(why);
);

both_ways!(SafeData <=> wit::SafeData;
    PublicFile(f) <=> PublicFile(f);
    FilesContainer(c) <=> FilesContainer(c);
    NrsMapContainer(n) <=> NrsMapContainer(n);
    NrsEntry(e) <=> NrsEntry(e);
    SafeKey(k) <=> SafeKey(k);
    Register(r) <=> Register(r);
    Multimap(m) <=> Multimap(m);
);

// ---- operations and what they give ------------------------------------------------------------

both_ways!(Operation <=> wit::Request;
    Connect(contacts) <=> Connect(contacts);
    StoreBytes { data, media_type } <=> StoreBytes((data, media_type));
    StoreFile { source, media_type } <=> StoreFile((source, media_type));
    FilesGet { url, range } <=> FilesGet((url, range));
    Fetch { url, range } <=> Fetch((url, range));
    Inspect { url } <=> Inspect(url);
    NewKeypair <=> NewKeypair;
    GetKeypair <=> GetKeypair;
    SetKeypair { secret_key } <=> SetKeypair(secret_key);
    KeysCreatePreloadTestCoins { amount } <=> KeysCreatePreloadTestCoins(amount);
    KeysCreateAndPreload { amount, from_secret_key }
        <=> KeysCreateAndPreload((amount, from_secret_key));
    KeysBalance { secret_key } <=> KeysBalance(secret_key);
    KeysTransfer { amount, from_secret_key, to_url }
        <=> KeysTransfer(wit::KeysTransferArgs { amount, from_secret_key, to_url });
    RegisterCreate { name, tag, content_type }
        <=> RegisterCreate(wit::RegisterCreateArgs { name, tag, content_type });
    RegisterRead { url } <=> RegisterRead(url);
    RegisterReadEntry { url, hash } <=> RegisterReadEntry((url, hash));
    RegisterWrite { url, entry, parents }
        <=> RegisterWrite(wit::RegisterWriteArgs { url, entry, parents });
    MultimapCreate { name, tag } <=> MultimapCreate((name, tag));
    MultimapGetByKey { url, key } <=> MultimapGetByKey((url, key));
    MultimapGetByHash { url, hash } <=> MultimapGetByHash((url, hash));
    MultimapInsert { url, key, value, replace }
        <=> MultimapInsert(wit::MultimapInsertArgs { url, key, value, replace });
    MultimapRemove { url, hashes } <=> MultimapRemove((url, hashes));
    NrsCreate { top_name } <=> NrsCreate(top_name);
    NrsAssociate { name, link } <=> NrsAssociate((name, link));
    NrsAdd { name, link } <=> NrsAdd((name, link));
    NrsRemove { name } <=> NrsRemove(name);
    NrsGet { name, version } <=> NrsGet((name, version));
    NrsGetSubnamesMap { name, version } <=> NrsGetSubnamesMap((name, version));
    FilesContainerCreate <=> FilesContainerCreate;
    FilesContainerCreateFrom { local, dst }
        <=> FilesContainerCreateFrom(wit::FilesContainerCreateFromArgs { local, dst });
    FilesContainerAdd { local, url, force, update_nrs }
        <=> FilesContainerAdd(wit::FilesContainerAddArgs { local, url, force, update_nrs });
    FilesContainerAddFromRaw { data, url, force, update_nrs }
        <=> FilesContainerAddFromRaw(wit::FilesContainerRawArgs { data, url, force, update_nrs });
    FilesContainerSync { local, url, delete, update_nrs }
        <=> FilesContainerSync(wit::FilesContainerSyncArgs { local, url, delete, update_nrs });
    FilesContainerRemovePath { url, recursive, update_nrs }
        <=> FilesContainerRemovePath(wit::FilesContainerRemoveArgs { url, recursive, update_nrs });
    FilesContainerGet { url } <=> FilesContainerGet(url);
    CheckReplicas { url } <=> CheckReplicas(url);
);

both_ways!(Output <=> wit::Response;
    Url(url) <=> Url(url);
    EntryHash(hash) <=> EntryHash(hash);
    Done <=> Done;
    Connected(info) <=> Connected(info);
    Stored(url) <=> Stored(url);
    Bytes(bytes) <=> Bytes(bytes);
    Data(data) <=> Data(data);
    Chain(steps) <=> Chain(steps);
    Keypair(keypair) <=> Keypair(keypair);
    KeyCreated { url, keypair } <=> KeyCreated((url, keypair));
    Balance(balance) <=> Balance(balance);
    TransferId(id) <=> TransferId(id);
    Entries(entries) <=> Entries(entries);
    Entry(entry) <=> Entry(entry);
    Multimap(entries) <=> Multimap(entries);
    NrsAdded { url, created_top_name } <=> NrsAdded((url, created_top_name));
    Nrs { link, version, map } <=> Nrs(wit::NrsResult { link, version, nrs_map: map });
    NrsMap(map) <=> NrsMap(map);
    Container(result) <=> Container(result);
    Replicas(replicas) <=> Replicas(replicas);
);
