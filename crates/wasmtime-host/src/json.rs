//! [`SafeData`] and [`FileReplicas`] as JSON, in the shape the TypeScript API gives them
//! (camelCase fields, a `type` tag, names in hex), with file data in base64 or left out. The CLI
//! prints this.

use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::{ChunkKind, FileReplicas, MultimapEntry, RegisterEntry, ReplicaState, SafeData};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn info(i: &std::collections::BTreeMap<String, String>) -> Value {
    Value::Object(i.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect())
}

fn register_entries(e: &[RegisterEntry]) -> Value {
    e.iter().map(|e| json!({ "hash": e.hash, "entry": b64(&e.entry) })).collect()
}

fn multimap_entries(e: &[MultimapEntry]) -> Value {
    e.iter()
        .map(|e| json!({ "hash": e.hash, "key": b64(&e.key), "value": b64(&e.value) }))
        .collect()
}

/// `check_replicas`' result as JSON, as the TypeScript API's `FileReplicas`.
pub fn file_replicas(r: &FileReplicas) -> Value {
    let chunks: Vec<Value> = r
        .chunks
        .iter()
        .map(|c| {
            let kind = match c.kind {
                ChunkKind::Root => "root",
                ChunkKind::MapLevel => "map-level",
                ChunkKind::Piece => "piece",
            };
            let holders: Vec<Value> = c
                .holders
                .iter()
                .map(|h| {
                    let state = match h.state {
                        ReplicaState::Held => "held",
                        ReplicaState::Missing => "missing",
                        ReplicaState::NoAnswer => "no-answer",
                    };
                    json!({ "nodeId": hex::encode(h.node.0), "address": h.addr.to_string(), "state": state })
                })
                .collect();
            json!({ "address": hex::encode(c.address.0), "kind": kind, "holders": holders })
        })
        .collect();
    json!({ "xorurl": r.xorurl, "replicationFactor": r.replication_factor, "chunks": chunks })
}

/// One `SafeData` as JSON; a file's `data` is base64 when `with_data`, left out otherwise.
pub fn safe_data(d: &SafeData, with_data: bool) -> Value {
    let mut v = match d {
        SafeData::PublicFile(f) => {
            let mut m = Map::new();
            m.insert("type".into(), "PublicFile".into());
            m.insert("xorurl".into(), f.xorurl.clone().into());
            m.insert("xorname".into(), hex::encode(f.xorname.0).into());
            if with_data {
                m.insert("data".into(), b64(&f.data).into());
            }
            if let Some(t) = &f.media_type {
                m.insert("mediaType".into(), t.clone().into());
            }
            if let Some(i) = &f.metadata {
                m.insert("metadata".into(), info(i));
            }
            m.insert("resolvedFrom".into(), f.resolved_from.clone().into());
            m.insert("size".into(), f.size.into());
            Value::Object(m)
        }
        SafeData::FilesContainer(c) => json!({
            "type": "FilesContainer",
            "xorurl": c.xorurl,
            "xorname": hex::encode(c.xorname.0),
            "typeTag": c.type_tag,
            "version": c.version,
            "filesMap": Value::Object(c.files_map.iter().map(|(p, i)| (p.clone(), info(i))).collect()),
            "resolvedFrom": c.resolved_from,
        }),
        SafeData::NrsMapContainer(n) => json!({
            "type": "NrsMapContainer",
            "publicName": n.public_name,
            "xorurl": n.xorurl,
            "xorname": hex::encode(n.xorname.0),
            "typeTag": n.type_tag,
            "version": n.version,
            "nrsMap": n.nrs_map,
            "resolvedFrom": n.resolved_from,
        }),
        SafeData::NrsEntry(e) => json!({
            "type": "NrsEntry",
            "publicName": e.public_name,
            "xorurl": e.xorurl,
            "version": e.version,
            "resolvesInto": e.resolves_into,
            "resolvedFrom": e.resolved_from,
        }),
        SafeData::SafeKey(k) => json!({
            "type": "SafeKey",
            "xorurl": k.xorurl,
            "xorname": hex::encode(k.xorname.0),
            "resolvedFrom": k.resolved_from,
        }),
        SafeData::Register(r) => json!({
            "type": "Register",
            "xorurl": r.xorurl,
            "xorname": hex::encode(r.xorname.0),
            "typeTag": r.type_tag,
            "entries": register_entries(&r.entries),
            "resolvedFrom": r.resolved_from,
        }),
        SafeData::Multimap(m) => json!({
            "type": "Multimap",
            "xorurl": m.xorurl,
            "xorname": hex::encode(m.xorname.0),
            "typeTag": m.type_tag,
            "entries": multimap_entries(&m.entries),
            "resolvedFrom": m.resolved_from,
        }),
    };
    if let (SafeData::FilesContainer(c), Value::Object(m)) = (d, &mut v) {
        if let Some(i) = &c.metadata {
            m.insert("metadata".into(), info(i));
        }
    }
    v
}
