//! Network contacts: where `connect` finds the nodes to bootstrap from, read the way the
//! TypeScript host reads them (`host/core/contacts.ts`): `[<64 hex id>@]host:port`, or with no
//! bootstrap list the file `$SAFE_HOME/network_contacts/default` (SAFE_HOME defaults to `~/.safe`).

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use safe_client::safe_types::XorName;
use safe_client::Contact;

use crate::{ErrorCode, SafeError};

/// The directory safe-wasi keeps its files in: `$SAFE_HOME`, or `~/.safe`.
pub fn safe_home() -> PathBuf {
    match std::env::var_os("SAFE_HOME").filter(|v| !v.is_empty()) {
        Some(home) => PathBuf::from(home),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".safe"),
    }
}

/// Where the default network's contacts live.
pub fn contacts_path() -> PathBuf {
    safe_home().join("network_contacts").join("default")
}

/// Parses `[id@]host:port` (IPv6 in brackets), resolving a host name to an address.
pub fn parse_contact(text: &str) -> Result<Contact, SafeError> {
    let bad = |why: &str| {
        SafeError::new(
            ErrorCode::InvalidArgument,
            format!("bootstrap contact '{text}' is invalid: {why}; write it as host:port, e.g. 127.0.0.1:12000"),
        )
    };
    let rest = text.trim();
    let (id, rest) = match rest.split_once('@') {
        Some((id, rest)) => {
            let bytes = hex::decode(id.to_ascii_lowercase())
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| bad("the node id before @ must be 64 hex characters"))?;
            (Some(XorName(bytes)), rest)
        }
        None => (None, rest),
    };
    let addr = match rest.parse::<SocketAddr>() {
        Ok(addr) => addr,
        Err(_) => {
            let (host, port) = rest.rsplit_once(':').ok_or_else(|| bad("no port"))?;
            let port: u16 = port.parse().map_err(|_| bad("the port must be 1 to 65535"))?;
            (host, port)
                .to_socket_addrs()
                .ok()
                .and_then(|mut a| a.next())
                .ok_or_else(|| bad(&format!("cannot resolve host '{host}'")))?
        }
    };
    if addr.port() == 0 {
        return Err(bad("the port must be 1 to 65535"));
    }
    Ok(Contact { addr, id })
}

/// Reads the contacts file; fails with `NoContacts` when there is none or it is unreadable.
pub fn read_contacts_file(path: &std::path::Path) -> Result<Vec<Contact>, SafeError> {
    let hint = "start a local network with `npx safe testnet start`, or pass bootstrap contacts";
    let no = |what: String| SafeError::new(ErrorCode::NoContacts, format!("{what}: {hint}"));
    let text = std::fs::read_to_string(path)
        .map_err(|_| no(format!("no network contacts file at {}", path.display())))?;
    let parsed: serde_json::Value = serde_json::from_str(&text)
        .map_err(|_| no(format!("the contacts file {} is not valid JSON", path.display())))?;
    let list = parsed["contacts"]
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| no(format!("the contacts file {} lists no contacts", path.display())))?;
    list.iter()
        .map(|c| {
            let addr = c["addr"].as_str().unwrap_or_default();
            match c["id"].as_str() {
                Some(id) => parse_contact(&format!("{id}@{addr}")),
                None => parse_contact(addr),
            }
        })
        .collect()
}
