//! NRS, the Name Resolution System: public names (`mysite`, `blog.mysite`) pointing at
//! `safe://` links, stored as sn_api 0.66-0.82 stores them.
//!
//! Each top name has an NRS map: a multimap (see `multimap.rs`) with type tag 1500 whose name
//! is SHA3-256 of the top name's UTF-8 bytes (the register `SafeUrl::parse("safe://<top>")`
//! names) and whose XOR-URL has content type `NrsMapContainer`; it belongs to the key that
//! created it. Its entries are `(public name, link)`: the key is the full public name's bytes
//! (`blog.mysite`, or `mysite` for the top name itself), the value the link URL string's bytes.
//! Associating a name writes an entry replacing the name's current entries; removing it writes
//! a tombstone replacing them. A version of a name is the hash of the entry that wrote it,
//! given in URLs as `?v=<version hash>`. The map at a version is what that entry and the
//! entries it superseded make (see `multimap::view`): since an entry supersedes only the
//! entries of its own name, that is the name as it was then, alone. (sn_api's `nrs_get` with a
//! version showed the other names as they are now; the URL's name resolves the same either
//! way.)
//!
//! A name that is not a valid `safe://` name is InvalidUrl, as the URL parser says; a valid one
//! used where it does not fit (a top name with sub names for `nrs_create`) is InvalidArgument.
//!
//! Links to content that changes (a register: FilesContainers, NRS maps, multimaps and plain
//! registers) must name a version, as sn_api requires, so that a name always resolves to the
//! same content until it is associated again.
//!
//! Two live entries for one name (two clients associating it concurrently) make that name a
//! Conflict for `nrs_get` and resolution, as in sn_api, until it is associated again; in the
//! whole map such a name shows the link that sorts last (what sn_api's map showed).
//!
//! A dry runner reads the maps and writes nothing: a new top name's map is the empty one its
//! creation would make, and a name's new version is the hash its entry would have.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use safe_types::register::{EntryHash, Register, RegisterAddress, RegisterCreate};
use safe_types::{ContentType, DataType, SafeUrl, VersionHash, XorName};

use futures::FutureExt;

use super::output::Started;
use super::{multimap, registers};
use crate::error::{Error, ErrorCode};
use crate::net::Net;

/// The NRS operations and their outputs (see `operation.rs`).
macro_rules! table {
    ($then:ident! { $($args:tt)* }) => {
        $then! { $($args)* [nrs] {
            operations {
                /// Creates the NRS map of a top name, owned by the client's key; gives
                /// [`Output::Url`] with the top name's NRS URL `safe://<top name>`, as sn_api's
                /// `nrs_create` did. Conflict when the top name exists already.
                NrsCreate {
                    /// The top name, e.g. `mysite`.
                    top_name: String,
                } -> Url = "nrs_create" by start_create;
                /// Points a public name (`mysite`, `blog.mysite`) at a link; the top name's map
                /// must exist and belong to the client's key. Gives [`Output::Url`]: the NRS URL
                /// with its new version.
                NrsAssociate {
                    /// The public name.
                    name: String,
                    /// A safe:// URL (versioned when it names versioned content).
                    link: String,
                } -> Url = "nrs_associate" by start_associate;
                /// As `NrsAssociate`, creating the top name's map first if there is none; gives
                /// [`Output::NrsAdded`].
                NrsAdd {
                    /// The public name.
                    name: String,
                    /// The link.
                    link: String,
                } -> NrsAdded { url, created_top_name } = "nrs_add" by start_add;
                /// Removes a public name's link; gives [`Output::Url`] (the NRS URL with its new
                /// version).
                NrsRemove {
                    /// The public name.
                    name: String,
                } -> Url = "nrs_remove" by start_remove;
                /// What a public name links to, and its top name's whole map; gives
                /// [`Output::Nrs`].
                NrsGet {
                    /// The public name.
                    name: String,
                    /// A version hash of the map; none for the latest.
                    version: Option<String>,
                } -> Nrs { link, version, map } = "nrs_get" by start_get;
                /// Every public name under a name's top name and its link, as sn_api's
                /// `nrs_get_subnames_map`: the map `NrsGet` gives, for which the name itself
                /// need not have a link; gives [`Output::NrsMap`].
                NrsGetSubnamesMap {
                    /// A public name: the map of its top name is read (`blog.mysite` reads
                    /// `mysite`'s).
                    name: String,
                    /// A version hash of the map; none for the latest.
                    version: Option<String>,
                } -> NrsMap = "nrs_get_subnames_map" by start_get_subnames_map;
            }
            outputs {
                /// `NrsAdd`: the NRS URL with its new version, and whether the top name's map
                /// was created.
                NrsAdded {
                    /// The public name's NRS URL, versioned.
                    url: String,
                    /// Whether the map of the top name was created.
                    created_top_name: bool,
                },
                /// `NrsGet`: the name's link (none when it has none) and its top name's map.
                Nrs {
                    /// What the public name links to.
                    link: Option<String>,
                    /// The version of the map read.
                    version: Option<String>,
                    /// Every public name under the top name and its link.
                    map: std::collections::BTreeMap<String, String>,
                },
                /// `NrsGetSubnamesMap`: every public name under a top name and its link.
                NrsMap(std::collections::BTreeMap<String, String>),
            }
        } }
    };
}
pub(super) use table;

// The NRS operations check their names inside their futures, so a bad name fails the
// operation (as a completion) rather than its start.

/// Starts `Operation::NrsCreate`.
pub(super) fn start_create(net: Net, top_name: String) -> Started<String> {
    Ok(create(net, top_name).boxed_local())
}

/// Starts `Operation::NrsAssociate`.
pub(super) fn start_associate(net: Net, name: String, link: String) -> Started<String> {
    Ok(associate(net, name, link).boxed_local())
}

/// Starts `Operation::NrsAdd`.
pub(super) fn start_add(net: Net, name: String, link: String) -> Started<(String, bool)> {
    Ok(add(net, name, link).boxed_local())
}

/// Starts `Operation::NrsRemove`.
pub(super) fn start_remove(net: Net, name: String) -> Started<String> {
    Ok(remove(net, name).boxed_local())
}

/// What `nrs_get` gives: the name's link, the map's version, and the whole map.
type NameAndMap = (Option<String>, Option<String>, BTreeMap<String, String>);

/// Starts `Operation::NrsGet`.
pub(super) fn start_get(net: Net, name: String, version: Option<String>) -> Started<NameAndMap> {
    Ok(get(net, name, version).boxed_local())
}

/// Starts `Operation::NrsGetSubnamesMap`.
pub(super) fn start_get_subnames_map(
    net: Net,
    name: String,
    version: Option<String>,
) -> Started<BTreeMap<String, String>> {
    Ok(get_subnames_map(net, name, version).boxed_local())
}

/// See `Operation::NrsCreate`: `safe://<top name>`, the NRS URL of the new (empty) map, as
/// sn_api's `nrs_create` gave.
async fn create(net: Net, top_name: String) -> Result<String, Error> {
    let url = top_name_url(&top_name)?;
    create_map(&net, &url).await?;
    Ok(url.to_string())
}

/// See `Operation::NrsAssociate`: the versioned NRS URL.
pub(super) async fn associate(net: Net, name: String, link: String) -> Result<String, Error> {
    let url = public_name_url(&name)?;
    let link = checked_link(&link)?;
    let map = NrsMap::fetch(&net, &url).await?;
    write_link(&net, url, &map, Some(&link)).await
}

/// See `Operation::NrsAdd`: the versioned NRS URL, and whether the top name's map was created.
async fn add(net: Net, name: String, link: String) -> Result<(String, bool), Error> {
    let url = public_name_url(&name)?;
    let link = checked_link(&link)?;
    let (map, created_top_name) = match NrsMap::fetch(&net, &url).await {
        Ok(map) => (map, false),
        Err(e) if e.code == ErrorCode::NotFound => (create_map(&net, &url).await?, true),
        Err(e) => return Err(e),
    };
    let url = write_link(&net, url, &map, Some(&link)).await?;
    Ok((url, created_top_name))
}

/// See `Operation::NrsRemove`: the versioned NRS URL.
async fn remove(net: Net, name: String) -> Result<String, Error> {
    let url = public_name_url(&name)?;
    let map = NrsMap::fetch(&net, &url).await?;
    write_link(&net, url, &map, None).await
}

/// See `Operation::NrsGet`. The version given is the version asked for, or else that of the
/// name's current entry (none when the name has no link).
async fn get(net: Net, name: String, version: Option<String>) -> Result<NameAndMap, Error> {
    let url = public_name_url(&name)?;
    let version = version.as_deref().map(parse_version).transpose()?;
    let map = NrsMap::fetch(&net, &url).await?;
    let view = map.view(version)?;
    let found = view.lookup(&name)?;
    let version = version.or(found.map(|(hash, _)| hash));
    Ok((
        found.map(|(_, link)| link.to_owned()),
        version.map(|v| VersionHash::from(v).to_string()),
        view.links(),
    ))
}

/// See `Operation::NrsGetSubnamesMap`: the map of the name's top name at `version` (see
/// [`NrsMap::view`]), whether or not the name has a link of its own.
async fn get_subnames_map(
    net: Net,
    name: String,
    version: Option<String>,
) -> Result<BTreeMap<String, String>, Error> {
    let url = public_name_url(&name)?;
    let version = version.as_deref().map(parse_version).transpose()?;
    let map = NrsMap::fetch(&net, &url).await?;
    Ok(map.view(version)?.links())
}

/// A top name's NRS map, as read from the network.
pub(super) struct NrsMap {
    /// The top name.
    pub(super) top_name: String,
    /// Where the map lives.
    pub(super) address: RegisterAddress,
    register: Register,
}

impl NrsMap {
    /// The map of `url`'s top name; NotFound, saying how to make one, when there is none.
    pub(super) async fn fetch(net: &Net, url: &SafeUrl) -> Result<Self, Error> {
        let top_name = url.top_name().to_owned();
        let address = map_address(url);
        match registers::fetch(net, address).await {
            Ok(register) => Ok(Self { top_name, address, register }),
            Err(e) if e.code == ErrorCode::NotFound => Err(Error::new(
                ErrorCode::NotFound,
                format!(
                    "the top name '{top_name}' has no NRS map: nothing is published under it; \
                     its owner can create it with nrs_create, or nrs_add a name"
                ),
            )),
            Err(e) => Err(e),
        }
    }

    /// The map as it is now, or at `version` (see `multimap::view`).
    pub(super) fn view(&self, version: Option<EntryHash>) -> Result<NrsView, Error> {
        let entries = multimap::view(&self.register, version).map_err(|e| {
            if e.code == ErrorCode::NotFound {
                let v = version.map(VersionHash::from).map(|v| v.to_string()).unwrap_or_default();
                Error::new(
                    ErrorCode::NotFound,
                    format!(
                        "version {v} does not exist in the NRS map of '{}': check the version \
                         (nrs_get gives the current ones)",
                        self.top_name
                    ),
                )
            } else {
                e
            }
        })?;
        let mut names: BTreeMap<String, Vec<(EntryHash, String)>> = BTreeMap::new();
        for (hash, (key, value)) in entries {
            // A name or link that is not UTF-8 cannot be asked for nor followed.
            if let (Ok(name), Ok(link)) = (String::from_utf8(key), String::from_utf8(value)) {
                names.entry(name).or_default().push((hash, link));
            }
        }
        Ok(NrsView { top_name: self.top_name.clone(), names })
    }

    /// The map's XOR-URL, with `version` if given.
    pub(super) fn xorurl(&self, net: &Net, version: Option<EntryHash>) -> String {
        map_xorurl(net, self.address, version)
    }
}

/// The XOR-URL of the NRS map at `address`, with `version` if given.
pub(super) fn map_xorurl(
    net: &Net,
    address: RegisterAddress,
    version: Option<EntryHash>,
) -> String {
    match SafeUrl::new_xorurl(
        address.name,
        address.tag,
        ContentType::NrsMapContainer,
        DataType::Register,
        net.xorurl_base(),
    ) {
        Ok(mut url) => {
            url.set_content_version(version.map(VersionHash::from));
            url.to_string()
        }
        // NrsMapContainer has a code, so this cannot happen.
        Err(e) => e.to_string(),
    }
}

/// An NRS map at one version: each public name with its live entries.
pub(super) struct NrsView {
    top_name: String,
    names: BTreeMap<String, Vec<(EntryHash, String)>>,
}

impl NrsView {
    /// The entry of `name` and its link: none when the name has none, Conflict when it has
    /// several.
    pub(super) fn lookup(&self, name: &str) -> Result<Option<(EntryHash, &str)>, Error> {
        match self.names.get(name).map(Vec::as_slice) {
            None | Some([]) => Ok(None),
            Some([(hash, link)]) => Ok(Some((*hash, link))),
            Some(several) => Err(Error::new(
                ErrorCode::Conflict,
                format!(
                    "'{name}' has {} links at once ({}), written concurrently: its owner can \
                     settle it by associating the name again (nrs_associate)",
                    several.len(),
                    several.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }

    /// Every name and its link (for a name with several, the one that sorts last).
    pub(super) fn links(&self) -> BTreeMap<String, String> {
        self.names
            .iter()
            .filter_map(|(name, entries)| {
                entries.iter().map(|(_, l)| l).max().map(|l| (name.clone(), l.clone()))
            })
            .collect()
    }

    /// The top name.
    pub(super) fn top_name(&self) -> &str {
        &self.top_name
    }
}

/// The NRS map register of `url`'s top name.
pub(super) fn map_address(url: &SafeUrl) -> RegisterAddress {
    // SafeUrl gives an NRS URL the address of its map: SHA3-256 of the top name, tag 1500.
    RegisterAddress { name: url.xorname(), tag: url.type_tag() }
}

/// The top name of a map at `address` among `names` (full public names), if one fits.
pub(super) fn top_name_of<'a>(
    address: &RegisterAddress,
    names: impl IntoIterator<Item = &'a String>,
) -> Option<String> {
    names.into_iter().find_map(|name| {
        let top = name.rsplit('.').next()?;
        (XorName::from_content(top.as_bytes()) == address.name).then(|| top.to_owned())
    })
}

/// Creates the (empty) map of `url`'s top name; Conflict when it exists already.
async fn create_map(net: &Net, url: &SafeUrl) -> Result<NrsMap, Error> {
    let top_name = url.top_name().to_owned();
    match NrsMap::fetch(net, url).await {
        Ok(map) => {
            let owner = if *map.register.owner() == net.keypair().public_key() {
                "this client's key".to_owned()
            } else {
                format!("key {}", map.register.owner())
            };
            return Err(Error::new(
                ErrorCode::Conflict,
                format!(
                    "the top name '{top_name}' already exists (its NRS map belongs to {owner}): \
                     add names to it with nrs_associate or nrs_add, or choose another top name"
                ),
            ));
        }
        Err(e) if e.code == ErrorCode::NotFound => {}
        Err(e) => return Err(e),
    }
    let address = map_address(url);
    registers::create(net.clone(), Some(address.name), address.tag, ContentType::NrsMapContainer)
        .await?;
    if net.dry_run() {
        // Nothing was created to read back: the map is the empty one a creation makes.
        let register = Register::new(RegisterCreate::new(address, &net.keypair()))
            .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
        return Ok(NrsMap { top_name, address, register });
    }
    registers::fetch(net, address).await.map(|register| NrsMap { top_name, address, register })
}

/// Points `url`'s public name at `link` (or, for none, removes its link) in `map`, replacing
/// the name's current entries; gives the NRS URL with the new entry as its version.
async fn write_link(
    net: &Net,
    mut url: SafeUrl,
    map: &NrsMap,
    link: Option<&SafeUrl>,
) -> Result<String, Error> {
    let name = url.public_name();
    multimap::check_owner(net, &map.register).map_err(|e| {
        Error::new(
            e.code,
            format!("the NRS map of '{}' is not this client's: {}", map.top_name, e.message),
        )
    })?;
    // Every live entry of the name, even when several conflict: the new one settles them.
    let current: BTreeSet<EntryHash> = map
        .view(None)?
        .names
        .remove(&name)
        .unwrap_or_default()
        .into_iter()
        .map(|(h, _)| h)
        .collect();
    let content = match link {
        Some(link) => multimap::encode(name.as_bytes(), link.to_string().as_bytes())?,
        None if current.is_empty() => {
            return Err(Error::new(
                ErrorCode::NotFound,
                format!("'{name}' has no link to remove in the NRS map of '{}'", map.top_name),
            ))
        }
        None => Bytes::new(),
    };
    let hash = registers::write_entry(net, map.address, content, Some(current)).await?;
    url.set_content_version(Some(VersionHash::from(hash)));
    Ok(url.to_string())
}

/// `safe://<name>` for a public name; InvalidUrl unless it is one.
fn public_name_url(name: &str) -> Result<SafeUrl, Error> {
    let invalid = |reason: String| {
        Error::new(ErrorCode::InvalidUrl, format!("'{name}' is not a valid public name: {reason}"))
    };
    let url = SafeUrl::parse(&format!("safe://{name}")).map_err(|e| invalid(e.to_string()))?;
    if url.public_name() != name || !url.path().is_empty() || !url.query().is_empty() {
        return Err(invalid(
            "it holds URL parts: give only the name, such as 'blog.mysite', without safe://, \
             path or version"
                .into(),
        ));
    }
    if !url.is_nrs() {
        return Err(invalid(
            "its top name is a XOR-URL encoding: choose a top name that is not one".into(),
        ));
    }
    Ok(url)
}

/// `safe://<top name>`; InvalidUrl unless `top_name` is a public name, InvalidArgument when it
/// has sub names.
fn top_name_url(top_name: &str) -> Result<SafeUrl, Error> {
    let url = public_name_url(top_name)?;
    if !url.sub_names().is_empty() {
        return Err(Error::invalid_argument(format!(
            "'{top_name}' has sub names: create its top name '{}' (sub names are added with \
             nrs_associate or nrs_add)",
            url.top_name()
        )));
    }
    Ok(url)
}

/// The link a name may point at: a safe:// URL, versioned when it names content that changes.
fn checked_link(link: &str) -> Result<SafeUrl, Error> {
    let url = SafeUrl::parse(link).map_err(|e| {
        Error::new(ErrorCode::InvalidUrl, format!("the link is not a valid safe:// URL: {e}"))
    })?;
    if url.content_version().is_none() && url.data_type() == DataType::Register {
        let what = match url.content_type() {
            ContentType::FilesContainer | ContentType::NrsMapContainer | ContentType::Multimap => {
                url.content_type().to_string()
            }
            _ => "Register".to_owned(),
        };
        return Err(Error::invalid_argument(format!(
            "the link '{link}' names {what} content, which is versionable: NRS links to it must \
             name a version; add ?v=<version hash> (the version its write or nrs_get gave)"
        )));
    }
    Ok(url)
}

/// A version hash as `nrsGet` takes it.
fn parse_version(version: &str) -> Result<EntryHash, Error> {
    version
        .parse::<VersionHash>()
        .map(|v| v.entry_hash())
        .map_err(|e| Error::invalid_argument(format!("'{version}' is not a version hash: {e}")))
}
