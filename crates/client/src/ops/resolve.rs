//! Resolving a `safe://` URL to what it names, as sn_api's resolver did: NRS names, the
//! FilesContainers, folders and files they lead to, keys, registers and multimaps, at the
//! URL's version (`?v=`) or the latest.
//!
//! A resolution is a chain of steps (`SafeData`), each from one URL:
//! - An NRS URL reads its top name's map (at the URL's version if it has one). A public name
//!   with a link gives an `NrsEntry` step, and the link is resolved next with the URL's path
//!   appended to the link's own, the URL's query (but its `v`) appended to the link's, and the
//!   URL's fragment (if any) in place of the link's. The top name without a link of its own
//!   gives the whole map (`NrsMapContainer`); a sub name without one is NotFound.
//! - A XOR-URL gives what its data type and content type say: a file (`PublicFile`), a key, a
//!   FilesContainer, an NRS map, a multimap or another register.
//! - A FilesContainer URL with a path naming a file gives a `FilesContainer` step, then the file
//!   (with the container's attributes of it, plus its `name`, as `metadata`); a path naming a
//!   folder gives the entries under it (paths as in the container, unlike sn_api, which made
//!   them relative) with the folder's own attributes as `metadata`.
//! - `NrsEntry.resolves_into` is the link as the map holds it; the step after it is resolved
//!   from that link with the URL's path etc. carried over.
//!
//! Following a link (an NRS name to its target, a container path to its file) counts; after
//! [`MAX_LINKS`] the resolution stops with an error, which is how link loops end. Only
//! FilesContainers have paths: a path on anything else is NotFound.
//!
//! Each step's `resolved_from` is the URL that step was resolved from: the caller's URL for the
//! first, an NRS link (with the carried path) for the step after an `NrsEntry`. The file found
//! at a container's path is resolved from the same URL as its container step (container URL
//! and path), so a file fetched through a container URL has the caller's URL there.

use std::collections::BTreeMap;

use bytes::Bytes;
use safe_types::register::{EntryHash, RegisterAddress};
use safe_types::{ContentType, DataType, SafeUrl, VersionHash};

use futures::FutureExt;

use super::containers::versions as container_store;
use super::files::{self, check_range, ByteRange};
use super::nrs::{self, NrsMap};
use super::output::{
    FileInfo, FilesContainerData, FilesMap, MultimapData, NrsEntryData, NrsMapContainerData,
    PublicFile, RegisterData, RegisterEntry, SafeData, SafeKeyData, Started,
};
use super::{multimap, registers};
use crate::error::{Error, ErrorCode};
use crate::net::Net;

/// Resolution's operations and outputs (see `operation.rs`).
macro_rules! table {
    ($then:ident! { $($args:tt)* }) => {
        $then! { $($args)* [resolve] {
            operations {
                /// Resolve a URL to what it names.
                Fetch {
                    /// The URL.
                    url: String,
                    /// For a file, which bytes; none for all.
                    range: Option<crate::ByteRange>,
                } -> Data = "fetch" by start_fetch;
                /// Resolve a URL and give every step of the resolution, without file contents.
                Inspect {
                    /// The URL.
                    url: String,
                } -> Chain = "inspect" by start_inspect;
            }
            outputs {
                /// `Fetch`'s result.
                Data(crate::SafeData),
                /// `Inspect`: every step of the resolution, first to last, without file
                /// contents.
                Chain(Vec<crate::SafeData>),
            }
        } }
    };
}
pub(super) use table;

/// Starts `Operation::Fetch`: a URL that parses, and a range that does not end before it
/// starts.
pub(super) fn start_fetch(net: Net, url: String, range: Option<ByteRange>) -> Started<SafeData> {
    SafeUrl::parse(&url)?;
    check_range(range)?;
    Ok(fetch(net, url, range).boxed_local())
}

/// Starts `Operation::Inspect`: a URL that parses.
pub(super) fn start_inspect(net: Net, url: String) -> Started<Vec<SafeData>> {
    SafeUrl::parse(&url)?;
    Ok(inspect(net, url).boxed_local())
}

/// The most links a resolution follows, as sn_api's `INDIRECTION_LIMIT`.
pub(super) const MAX_LINKS: usize = 10;

/// See `Operation::Fetch`: what the URL names (the last step of its resolution).
async fn fetch(net: Net, url: String, range: Option<ByteRange>) -> Result<SafeData, Error> {
    let mut chain = resolve(&net, &url, Some(range)).await?;
    match chain.pop() {
        Some(last) => Ok(last),
        None => Err(Error::new(ErrorCode::Internal, format!("resolving '{url}' gave nothing"))),
    }
}

/// See `Operation::Inspect`: every step of the resolution.
async fn inspect(net: Net, url: String) -> Result<Vec<SafeData>, Error> {
    resolve(&net, &url, None).await
}

/// For an NRS URL, the link its public name points at (following NRS links, at most 10), with
/// the URL's path, query and fragment carried over onto it; a XOR-URL comes back as it is.
pub(super) async fn nrs_target(net: &Net, url: &SafeUrl) -> Result<SafeUrl, Error> {
    let mut url = url.clone();
    let mut links = 0;
    while url.is_nrs() {
        let map = NrsMap::fetch(net, &url).await?;
        let view = map.view(version(&url))?;
        let name = url.public_name();
        let Some((_, link)) = view.lookup(&name)? else {
            return Err(Error::new(
                ErrorCode::NotFound,
                format!(
                    "'{name}' links to nothing in its NRS map: its owner can point it somewhere \
                     with nrs_associate"
                ),
            ));
        };
        links += 1;
        check_links(links, &url)?;
        url = carry(&url, link)?;
    }
    Ok(url)
}

/// What one step gives: the data, and the URL to resolve next (with the metadata the next
/// step's file gets) if the step is a link.
struct Step {
    data: SafeData,
    next: Option<(SafeUrl, String, Option<FileInfo>)>,
}

/// Resolves `url` step by step; `range` is `None` for `inspect` (no file contents read), else
/// the range to read of a file.
pub(super) async fn resolve(
    net: &Net,
    url: &str,
    range: Option<Option<ByteRange>>,
) -> Result<Vec<SafeData>, Error> {
    let original = SafeUrl::parse(url)?;
    let mut current = original.clone();
    let mut from = url.to_owned();
    let mut metadata = None;
    let mut chain = Vec::new();
    let mut links = 0;
    loop {
        let step = resolve_step(net, &current, &from, metadata, range).await?;
        chain.push(step.data);
        let Some((next, next_from, next_metadata)) = step.next else {
            return Ok(chain);
        };
        links += 1;
        check_links(links, &original)?;
        (current, from, metadata) = (next, next_from, next_metadata);
    }
}

fn check_links(links: usize, url: &SafeUrl) -> Result<(), Error> {
    if links > MAX_LINKS {
        return Err(Error::invalid_argument(format!(
            "resolving '{url}' needs more than {MAX_LINKS} links: they form a loop or too long a \
             chain; point the name (or the container's path) at its content more directly"
        )));
    }
    Ok(())
}

async fn resolve_step(
    net: &Net,
    url: &SafeUrl,
    from: &str,
    metadata: Option<FileInfo>,
    range: Option<Option<ByteRange>>,
) -> Result<Step, Error> {
    if url.is_nrs() {
        return nrs_step(net, url, from).await;
    }
    if !url.sub_names().is_empty() {
        return Err(Error::new(
            ErrorCode::InvalidUrl,
            format!(
                "'{url}' puts sub names before a XOR-URL: only NRS names have sub names; remove \
                 them"
            ),
        ));
    }
    let done = |data| Ok(Step { data, next: None });
    match (url.data_type(), url.content_type()) {
        (DataType::File, _) => {
            no_path(url, "file")?;
            let read = range.unwrap_or(Some(ByteRange { start: 0, end: Some(0) }));
            let mut file = files::get(net.clone(), url.clone(), read).await?;
            if range.is_none() {
                file.data = Bytes::new();
            }
            done(SafeData::PublicFile(PublicFile {
                metadata,
                resolved_from: from.to_owned(),
                ..file
            }))
        }
        (DataType::SafeKey, _) => {
            no_path(url, "key")?;
            done(SafeData::SafeKey(SafeKeyData {
                xorurl: xorurl(net, url, None),
                xorname: url.xorname(),
                resolved_from: from.to_owned(),
            }))
        }
        (DataType::Spentbook, _) => Err(Error::invalid_argument(format!(
            "'{url}' names a spentbook, which this client cannot read"
        ))),
        (DataType::Register, ContentType::FilesContainer) => container_step(net, url, from).await,
        (DataType::Register, ContentType::NrsMapContainer) => {
            no_path(url, "NRS map")?;
            let address = address(url);
            let register = registers::fetch(net, address).await?;
            let entries = multimap::view(&register, version(url))?;
            let nrs_map: BTreeMap<String, String> = entries
                .into_iter()
                .filter_map(|(_, (k, v))| {
                    Some((String::from_utf8(k).ok()?, String::from_utf8(v).ok()?))
                })
                .collect();
            done(SafeData::NrsMapContainer(NrsMapContainerData {
                public_name: nrs::top_name_of(&address, nrs_map.keys()).unwrap_or_default(),
                xorurl: xorurl(net, url, version(url)),
                xorname: url.xorname(),
                type_tag: url.type_tag(),
                version: version_string(version(url)),
                nrs_map,
                resolved_from: from.to_owned(),
            }))
        }
        (DataType::Register, ContentType::Multimap) => {
            no_path(url, "multimap")?;
            let register = registers::fetch(net, address(url)).await?;
            let entries = multimap::view(&register, version(url))?
                .into_iter()
                .map(|(hash, kv)| multimap::entry(hash, kv))
                .collect();
            done(SafeData::Multimap(MultimapData {
                xorurl: xorurl(net, url, version(url)),
                xorname: url.xorname(),
                type_tag: url.type_tag(),
                entries,
                resolved_from: from.to_owned(),
            }))
        }
        (DataType::Register, _) => {
            no_path(url, "register")?;
            let register = registers::fetch(net, address(url)).await?;
            let entries = match version(url) {
                None => register
                    .heads()
                    .into_iter()
                    .map(|(hash, e)| RegisterEntry {
                        hash: hash.to_string(),
                        entry: e.content.clone(),
                    })
                    .collect(),
                Some(hash) => match register.get(&hash) {
                    Some(e) => {
                        vec![RegisterEntry { hash: hash.to_string(), entry: e.content.clone() }]
                    }
                    None => return Err(no_version(url, hash)),
                },
            };
            done(SafeData::Register(RegisterData {
                xorurl: xorurl(net, url, version(url)),
                xorname: url.xorname(),
                type_tag: url.type_tag(),
                entries,
                resolved_from: from.to_owned(),
            }))
        }
    }
}

/// An NRS URL: the public name's link, or the whole map for a top name without one.
async fn nrs_step(net: &Net, url: &SafeUrl, from: &str) -> Result<Step, Error> {
    let map = NrsMap::fetch(net, url).await?;
    let asked = version(url);
    let view = map.view(asked)?;
    let name = url.public_name();
    if let Some((hash, link)) = view.lookup(&name)? {
        let version = asked.or(Some(hash));
        let target = carry(url, link)?;
        let target_string = target.to_string();
        return Ok(Step {
            data: SafeData::NrsEntry(NrsEntryData {
                public_name: name,
                xorurl: map.xorurl(net, version),
                version: version_string(version),
                resolves_into: link.to_owned(),
                resolved_from: from.to_owned(),
            }),
            next: Some((target, target_string, None)),
        });
    }
    if !url.sub_names().is_empty() {
        return Err(Error::new(
            ErrorCode::NotFound,
            format!(
                "'{name}' is not in the NRS map of '{}'{}: check the name, or its owner can add \
                 it with nrs_associate",
                view.top_name(),
                asked.map(|v| format!(" at version {}", VersionHash::from(v))).unwrap_or_default()
            ),
        ));
    }
    no_path(url, "top name without a link of its own (an NRS map)")?;
    Ok(Step {
        data: SafeData::NrsMapContainer(NrsMapContainerData {
            public_name: name,
            xorurl: map.xorurl(net, asked),
            xorname: map.address.name,
            type_tag: map.address.tag,
            version: version_string(asked),
            nrs_map: view.links(),
            resolved_from: from.to_owned(),
        }),
        next: None,
    })
}

/// A FilesContainer, a folder in it, or the step to a file in it.
async fn container_step(net: &Net, url: &SafeUrl, from: &str) -> Result<Step, Error> {
    let address = address(url);
    let (version, files_map) =
        match container_store::files_map_at(net, address, version(url)).await? {
            Some((version, files_map)) => (Some(version), files_map),
            None => (None, FilesMap::new()),
        };
    let path = url.path_decoded()?;
    let path = path.trim_end_matches('/');
    let data = |files_map, metadata| FilesContainerData {
        xorurl: xorurl(net, url, version),
        xorname: address.name,
        type_tag: address.tag,
        version: version_string(version),
        files_map,
        metadata,
        resolved_from: from.to_owned(),
    };
    if path.is_empty() {
        return Ok(Step { data: SafeData::FilesContainer(data(files_map, None)), next: None });
    }
    let info = files_map.get(path).cloned();
    let kind = info.as_ref().and_then(|i| i.get("type")).map(String::as_str);
    if let (Some(info), false) = (&info, matches!(kind, Some("inode/directory" | "inode/symlink")))
    {
        let link = info.get("link").ok_or_else(|| {
            Error::protocol(format!(
                "the container's entry for '{path}' is a file without a link: the container is \
                 damaged; its owner can add the file again"
            ))
        })?;
        let target = SafeUrl::parse(link).map_err(|e| {
            Error::protocol(format!("the container's link for '{path}' is not valid: {e}"))
        })?;
        let mut metadata = info.clone();
        if let Some(name) = path.rsplit('/').next() {
            metadata.insert("name".into(), name.to_owned());
        }
        // The container step shows the container whole; the file is the next step.
        return Ok(Step {
            data: SafeData::FilesContainer(data(files_map, None)),
            next: Some((target, from.to_owned(), Some(metadata))),
        });
    }
    // A folder (or a symlink, which is not followed: its attributes tell its target): the
    // entries under it, with their paths in the container.
    let prefix = format!("{path}/");
    let under: FilesMap = files_map
        .iter()
        .filter(|(p, _)| p.starts_with(&prefix))
        .map(|(p, i)| (p.clone(), i.clone()))
        .collect();
    if info.is_none() && under.is_empty() {
        return Err(Error::new(
            ErrorCode::NotFound,
            format!("the FilesContainer has no file or folder at '{path}': check the path"),
        ));
    }
    Ok(Step { data: SafeData::FilesContainer(data(under, info)), next: None })
}

/// The link `link` with `url`'s path, query (but its version) and fragment carried over.
fn carry(url: &SafeUrl, link: &str) -> Result<SafeUrl, Error> {
    let mut target = SafeUrl::parse(link).map_err(|e| {
        Error::new(
            ErrorCode::InvalidUrl,
            format!("'{}' links to '{link}', which is not a valid URL: {e}", url.public_name()),
        )
    })?;
    let path = format!("{}{}", target.path().trim_end_matches('/'), url.path());
    target.set_path(&path)?;
    let extra: Vec<&str> = url
        .query()
        .split('&')
        .filter(|p| !p.is_empty() && p.split_once('=').map_or(*p, |(k, _)| k) != "v")
        .collect();
    if extra.is_empty() && url.fragment().is_empty() {
        return Ok(target);
    }
    let mut s = target.to_string();
    let fragment = match s.find('#') {
        Some(at) => {
            let own = s[at + 1..].to_owned();
            s.truncate(at);
            own
        }
        None => String::new(),
    };
    for piece in extra {
        s.push(if target.query().is_empty() && !s.contains('?') { '?' } else { '&' });
        s.push_str(piece);
    }
    let fragment = if url.fragment().is_empty() { fragment } else { url.fragment().to_owned() };
    if !fragment.is_empty() {
        s.push('#');
        s.push_str(&fragment);
    }
    Ok(SafeUrl::parse(&s)?)
}

/// NotFound unless `url` has no path (only FilesContainers have paths).
fn no_path(url: &SafeUrl, what: &str) -> Result<(), Error> {
    match url.path() {
        "" | "/" => Ok(()),
        path => Err(Error::new(
            ErrorCode::NotFound,
            format!("'{url}' names a {what}, which has no path '{path}' inside: remove the path"),
        )),
    }
}

fn address(url: &SafeUrl) -> RegisterAddress {
    RegisterAddress { name: url.xorname(), tag: url.type_tag() }
}

fn version(url: &SafeUrl) -> Option<EntryHash> {
    url.content_version().map(|v| v.entry_hash())
}

fn version_string(version: Option<EntryHash>) -> Option<String> {
    version.map(|v| VersionHash::from(v).to_string())
}

/// The XOR-URL of what `url` names, without path, with `version` if given.
fn xorurl(net: &Net, url: &SafeUrl, version: Option<EntryHash>) -> String {
    match SafeUrl::new_xorurl(
        url.xorname(),
        url.type_tag(),
        url.content_type().clone(),
        url.data_type(),
        net.xorurl_base(),
    ) {
        Ok(mut x) => {
            x.set_content_version(version.map(VersionHash::from));
            x.to_string()
        }
        // A parsed URL's content type always has a code.
        Err(_) => url.to_xorurl(net.xorurl_base()),
    }
}

fn no_version(url: &SafeUrl, hash: EntryHash) -> Error {
    Error::new(
        ErrorCode::NotFound,
        format!(
            "version {} of '{url}' does not exist: check the version hash",
            VersionHash::from(hash)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carry_appends_path_query_and_fragment() {
        let x = SafeUrl::new_xorurl(
            safe_types::XorName([1; 32]),
            0,
            ContentType::Raw,
            DataType::File,
            Default::default(),
        )
        .expect("xorurl")
        .to_string();
        let v = VersionHash::from(EntryHash([0; 32]));
        let cases = [
            ("safe://site", x.clone(), x.clone()),
            ("safe://site/a/b.txt", format!("{x}/docs"), format!("{x}/docs/a/b.txt")),
            (
                &format!("safe://site/a?v={v}&x=1#top"),
                format!("{x}/?q=2#f"),
                format!("{x}/a?q=2&x=1#top"),
            ),
            ("safe://site/b?x=1", format!("{x}?v={v}"), format!("{x}/b?v={v}&x=1")),
            ("safe://site#frag", format!("{x}#f"), format!("{x}#frag")),
        ];
        for (url, link, expected) in cases {
            let url = SafeUrl::parse(url).expect("url");
            assert_eq!(carry(&url, &link).map(|u| u.to_string()), Ok(expected), "{url}");
        }
    }
}
