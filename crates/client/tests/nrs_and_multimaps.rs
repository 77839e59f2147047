//! Multimaps, NRS and URL resolution (`fetch`, `inspect`) through the client core against
//! in-memory nodes: the on-network formats, versions, owners, and the errors a caller gets.

mod harness;

use std::collections::BTreeMap;

use bytes::Bytes;
use harness::Sim;
use safe_client::safe_types::register::{EntryHash, RegisterAddress};
use safe_client::safe_types::{ContentType, DataType, SafeUrl, VersionHash, XorName};
use safe_client::{Error, ErrorCode, MultimapEntry, Operation, Output, SafeData};

// ---- helpers --------------------------------------------------------------------------------

fn connected() -> Sim {
    let mut sim = Sim::new(5);
    sim.connect();
    sim
}

fn multimap_create(sim: &mut Sim, tag: u64) -> String {
    match sim.run(Operation::MultimapCreate { name: None, tag }) {
        Ok(Output::Url(url)) => url,
        other => panic!("multimapCreate: {other:?}"),
    }
}

fn insert(
    sim: &mut Sim,
    url: &str,
    key: &str,
    value: &str,
    replace: &[&str],
) -> Result<String, Error> {
    let op = Operation::MultimapInsert {
        url: url.into(),
        key: Bytes::copy_from_slice(key.as_bytes()),
        value: Bytes::copy_from_slice(value.as_bytes()),
        replace: replace.iter().map(|h| h.to_string()).collect(),
    };
    sim.run(op).map(|o| match o {
        Output::EntryHash(h) => h,
        other => panic!("multimapInsert gave {other:?}"),
    })
}

fn remove(sim: &mut Sim, url: &str, hashes: &[&str]) -> Result<String, Error> {
    let op = Operation::MultimapRemove {
        url: url.into(),
        hashes: hashes.iter().map(|h| h.to_string()).collect(),
    };
    sim.run(op).map(|o| match o {
        Output::EntryHash(h) => h,
        other => panic!("multimapRemove gave {other:?}"),
    })
}

fn sorted(mut entries: Vec<MultimapEntry>) -> Vec<MultimapEntry> {
    entries.sort_by(|a, b| a.hash.cmp(&b.hash));
    entries
}

fn by_key(sim: &mut Sim, url: &str, key: &str) -> Vec<MultimapEntry> {
    let op = Operation::MultimapGetByKey {
        url: url.into(),
        key: Bytes::copy_from_slice(key.as_bytes()),
    };
    match sim.run(op) {
        Ok(Output::Multimap(entries)) => sorted(entries),
        other => panic!("multimapGetByKey: {other:?}"),
    }
}

fn by_hash(sim: &mut Sim, url: &str, hash: &str) -> Result<Vec<MultimapEntry>, Error> {
    sim.run(Operation::MultimapGetByHash { url: url.into(), hash: hash.into() }).map(|o| match o {
        Output::Multimap(entries) => entries,
        other => panic!("multimapGetByHash gave {other:?}"),
    })
}

fn kv(hash: &str, key: &str, value: &str) -> MultimapEntry {
    MultimapEntry {
        hash: hash.into(),
        key: Bytes::copy_from_slice(key.as_bytes()),
        value: Bytes::copy_from_slice(value.as_bytes()),
    }
}

fn set_new_keypair(sim: &mut Sim) {
    let secret_key = match sim.run(Operation::NewKeypair) {
        Ok(Output::Keypair(k)) => k.secret_key,
        other => panic!("newKeypair: {other:?}"),
    };
    sim.run(Operation::SetKeypair { secret_key }).expect("setKeypair");
}

fn nrs_create(sim: &mut Sim, top: &str) -> Result<String, Error> {
    sim.run(Operation::NrsCreate { top_name: top.into() }).map(|o| match o {
        Output::Url(u) => u,
        other => panic!("nrsCreate gave {other:?}"),
    })
}

fn associate(sim: &mut Sim, name: &str, link: &str) -> Result<String, Error> {
    sim.run(Operation::NrsAssociate { name: name.into(), link: link.into() }).map(|o| match o {
        Output::Url(u) => u,
        other => panic!("nrsAssociate gave {other:?}"),
    })
}

fn nrs_add(sim: &mut Sim, name: &str, link: &str) -> Result<(String, bool), Error> {
    sim.run(Operation::NrsAdd { name: name.into(), link: link.into() }).map(|o| match o {
        Output::NrsAdded { url, created_top_name } => (url, created_top_name),
        other => panic!("nrsAdd gave {other:?}"),
    })
}

fn nrs_remove(sim: &mut Sim, name: &str) -> Result<String, Error> {
    sim.run(Operation::NrsRemove { name: name.into() }).map(|o| match o {
        Output::Url(u) => u,
        other => panic!("nrsRemove gave {other:?}"),
    })
}

type NrsGot = (Option<String>, Option<String>, BTreeMap<String, String>);

fn nrs_get(sim: &mut Sim, name: &str, version: Option<&str>) -> Result<NrsGot, Error> {
    let op = Operation::NrsGet { name: name.into(), version: version.map(str::to_owned) };
    sim.run(op).map(|o| match o {
        Output::Nrs { link, version, map } => (link, version, map),
        other => panic!("nrsGet gave {other:?}"),
    })
}

fn subnames(
    sim: &mut Sim,
    name: &str,
    version: Option<&str>,
) -> Result<BTreeMap<String, String>, Error> {
    let op =
        Operation::NrsGetSubnamesMap { name: name.into(), version: version.map(str::to_owned) };
    sim.run(op).map(|o| match o {
        Output::NrsMap(map) => map,
        other => panic!("nrs_get_subnames_map gave {other:?}"),
    })
}

fn fetch(sim: &mut Sim, url: &str) -> Result<SafeData, Error> {
    sim.run(Operation::Fetch { url: url.into(), range: None }).map(|o| match o {
        Output::Data(d) => d,
        other => panic!("fetch gave {other:?}"),
    })
}

fn inspect(sim: &mut Sim, url: &str) -> Result<Vec<SafeData>, Error> {
    sim.run(Operation::Inspect { url: url.into() }).map(|o| match o {
        Output::Chain(c) => c,
        other => panic!("inspect gave {other:?}"),
    })
}

fn file_data(data: SafeData) -> Bytes {
    match data {
        SafeData::PublicFile(f) => f.data,
        other => panic!("expected a file, got {other:?}"),
    }
}

/// The version a versioned NRS URL names, as a string.
fn version_of(url: &str) -> String {
    SafeUrl::parse(url).expect("url").content_version().expect("a version").to_string()
}

fn entry_hash_hex(version: &str) -> String {
    version.parse::<VersionHash>().expect("version").entry_hash().to_string()
}

fn nrs_address(top: &str) -> RegisterAddress {
    RegisterAddress { name: XorName::from_content(top.as_bytes()), tag: 1500 }
}

/// sn_api's encoding of `(key, value)` for ASCII strings: fixarray(2), then each as an array
/// of positive fixints (strings under 16 bytes: fixarray; longer: array16).
fn msgpack_pair(key: &str, value: &str) -> Vec<u8> {
    let mut out = vec![0x92];
    for s in [key, value] {
        if s.len() < 16 {
            out.push(0x90 | s.len() as u8);
        } else {
            out.push(0xdc);
            out.extend_from_slice(&(s.len() as u16).to_be_bytes());
        }
        out.extend_from_slice(s.as_bytes());
    }
    out
}

fn assert_code<T: std::fmt::Debug>(result: Result<T, Error>, code: ErrorCode, needle: &str) {
    match result {
        Err(e) => {
            assert_eq!(e.code, code, "{e}");
            assert!(e.message.contains(needle), "'{needle}' not in: {e}");
        }
        Ok(v) => panic!("expected {code}, got {v:?}"),
    }
}

// ---- multimaps ------------------------------------------------------------------------------

#[test]
fn a_multimap_inserts_replaces_and_removes_key_value_entries() {
    let mut sim = connected();
    let url = multimap_create(&mut sim, 25_000);
    let parsed = SafeUrl::parse(&url).expect("url");
    assert_eq!(parsed.content_type(), &ContentType::Multimap);
    assert_eq!(parsed.data_type(), DataType::Register);
    assert_eq!(parsed.type_tag(), 25_000);
    assert!(by_key(&mut sim, &url, "k1").is_empty());

    let h1 = insert(&mut sim, &url, "k1", "one", &[]).expect("insert k1");
    let h2 = insert(&mut sim, &url, "k2", "two", &[]).expect("insert k2");
    assert_eq!(by_key(&mut sim, &url, "k1"), vec![kv(&h1, "k1", "one")]);
    assert_eq!(by_hash(&mut sim, &url, &h2).expect("by hash"), vec![kv(&h2, "k2", "two")]);
    // On the network the entry is sn_api's MessagePack of (key, value).
    match sim.run(Operation::RegisterReadEntry { url: url.clone(), hash: h1.clone() }) {
        Ok(Output::Entry(e)) => assert_eq!(&e[..], &msgpack_pair("k1", "one")[..]),
        other => panic!("read entry: {other:?}"),
    }

    // Replacing h1 leaves only the new value readable by key; h1 stays readable by hash.
    let h3 = insert(&mut sim, &url, "k1", "uno", &[&h1]).expect("replace");
    assert_eq!(by_key(&mut sim, &url, "k1"), vec![kv(&h3, "k1", "uno")]);
    assert_eq!(by_hash(&mut sim, &url, &h1).expect("history"), vec![kv(&h1, "k1", "one")]);
    // Inserting without replacing gives the key a second value.
    let h4 = insert(&mut sim, &url, "k1", "eins", &[]).expect("second value");
    assert_eq!(
        by_key(&mut sim, &url, "k1"),
        sorted(vec![kv(&h3, "k1", "uno"), kv(&h4, "k1", "eins")])
    );

    // Removing writes a tombstone superseding what it removes.
    let t = remove(&mut sim, &url, &[&h3]).expect("remove");
    assert_ne!(t, h3);
    assert_eq!(by_key(&mut sim, &url, "k1"), vec![kv(&h4, "k1", "eins")]);
    match sim.run(Operation::RegisterReadEntry { url: url.clone(), hash: t.clone() }) {
        Ok(Output::Entry(e)) => assert!(e.is_empty(), "a tombstone is empty"),
        other => panic!("read entry: {other:?}"),
    }
    assert_code(by_hash(&mut sim, &url, &t), ErrorCode::NotFound, "tombstone");
    assert_code(by_hash(&mut sim, &url, &"0".repeat(64)), ErrorCode::NotFound, "no entry");
    assert_code(remove(&mut sim, &url, &[]), ErrorCode::InvalidArgument, "no entry to remove");
    assert_code(
        insert(&mut sim, &url, "k", "v", &[&"ab".repeat(32)]),
        ErrorCode::NotFound,
        "to replace or remove",
    );
    assert_code(
        insert(&mut sim, &url, "k", &"x".repeat(1100), &[]),
        ErrorCode::InvalidArgument,
        "1024",
    );

    // fetch gives the current entries; at a version, the entries as that write saw them: h3
    // superseded only h1, so h3 alone.
    match fetch(&mut sim, &url).expect("fetch") {
        SafeData::Multimap(m) => {
            assert_eq!(
                sorted(m.entries),
                sorted(vec![kv(&h2, "k2", "two"), kv(&h4, "k1", "eins")])
            );
            assert_eq!(m.type_tag, 25_000);
            assert_eq!(m.resolved_from, url);
        }
        other => panic!("fetch gave {other:?}"),
    }
    let v3 = VersionHash::from(EntryHash(hex32(&h3))).to_string();
    match fetch(&mut sim, &format!("{url}?v={v3}")).expect("fetch at a version") {
        SafeData::Multimap(m) => {
            assert_eq!(m.entries, vec![kv(&h3, "k1", "uno")]);
            assert!(m.xorurl.ends_with(&format!("?v={v3}")), "{}", m.xorurl);
        }
        other => panic!("fetch gave {other:?}"),
    }
}

fn hex32(hex: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex");
    }
    out
}

#[test]
fn only_the_owner_writes_a_multimap() {
    let mut sim = connected();
    let url = multimap_create(&mut sim, 7);
    let h = insert(&mut sim, &url, "k", "v", &[]).expect("owner inserts");
    set_new_keypair(&mut sim);
    assert_code(insert(&mut sim, &url, "k", "w", &[&h]), ErrorCode::NotOwner, "set_keypair");
    assert_code(remove(&mut sim, &url, &[&h]), ErrorCode::NotOwner, "set_keypair");
    // The nodes refuse it too when the client does not check first.
    let op = Operation::RegisterWrite {
        url: url.clone(),
        entry: Bytes::from(msgpack_pair("k", "w")),
        parents: Some(vec![h.clone()]),
    };
    assert_code(sim.run(op), ErrorCode::NotOwner, "");
    // Anyone reads.
    assert_eq!(by_key(&mut sim, &url, "k"), vec![kv(&h, "k", "v")]);
}

// ---- NRS ------------------------------------------------------------------------------------

#[test]
fn nrs_names_are_created_associated_versioned_and_removed() {
    let mut sim = connected();
    let f1 = sim.store(b"first file", Some("text/plain"));
    let f2 = sim.store(b"second file", None);
    let f3 = sim.store(b"third file", None);

    // sn_api's nrs_create gives the NRS URL of the top name.
    assert_eq!(nrs_create(&mut sim, "mysite").expect("create"), "safe://mysite");
    let address = nrs_address("mysite");
    assert_eq!(SafeUrl::parse("safe://mysite").expect("url").xorname(), address.name);
    let holders = sim.holders(&address.xorname());
    assert!(holders.iter().all(|&i| sim.nodes[i].registers.contains_key(&address)));
    assert_code(nrs_create(&mut sim, "mysite"), ErrorCode::Conflict, "already exists");

    let u1 = associate(&mut sim, "mysite", &f1).expect("associate top name");
    assert!(u1.starts_with("safe://mysite?v=h"), "{u1}");
    let v1 = version_of(&u1);
    let (link, version, map) = nrs_get(&mut sim, "mysite", None).expect("get");
    assert_eq!(link.as_deref(), Some(f1.as_str()));
    assert_eq!(version.as_deref(), Some(v1.as_str()));
    assert_eq!(map, BTreeMap::from([("mysite".to_owned(), f1.clone())]));
    // The map entry is (public name, link) in sn_api's encoding, and the version its hash.
    let entry = &sim.nodes[holders[0]].registers[&address];
    let stored = entry.get(&EntryHash(hex32(&entry_hash_hex(&v1)))).expect("the entry");
    assert_eq!(&stored.content[..], &msgpack_pair("mysite", &f1)[..]);

    let u2 = associate(&mut sim, "blog.mysite", &f2).expect("associate sub name");
    assert!(u2.starts_with("safe://blog.mysite?v="), "{u2}");
    let v2 = version_of(&u2);
    let u3 = associate(&mut sim, "blog.mysite", &f3).expect("associate again");
    let v3 = version_of(&u3);
    assert_ne!(v2, v3);
    let (link, version, map) = nrs_get(&mut sim, "blog.mysite", None).expect("get latest");
    assert_eq!(link.as_deref(), Some(f3.as_str()));
    assert_eq!(version.as_deref(), Some(v3.as_str()));
    assert_eq!(
        map,
        BTreeMap::from([("mysite".to_owned(), f1.clone()), ("blog.mysite".to_owned(), f3.clone())])
    );
    // The old version is still readable. The map at a version is that entry's history: the
    // name as it was then, alone.
    let (link, version, map) = nrs_get(&mut sim, "blog.mysite", Some(&v2)).expect("get v2");
    assert_eq!(link.as_deref(), Some(f2.as_str()));
    assert_eq!(version.as_deref(), Some(v2.as_str()));
    assert_eq!(map, BTreeMap::from([("blog.mysite".to_owned(), f2.clone())]));
    let (_, _, map) = nrs_get(&mut sim, "mysite", Some(&v1)).expect("get v1");
    assert_eq!(map.keys().collect::<Vec<_>>(), vec!["mysite"]);
    // A version of another name leaves this one without a link at that version.
    let (link, _, _) = nrs_get(&mut sim, "mysite", Some(&v2)).expect("get v2 of mysite");
    assert_eq!(link, None);

    // fetch follows the names, at the latest or the URL's version.
    assert_eq!(
        &file_data(fetch(&mut sim, "safe://blog.mysite").expect("fetch"))[..],
        b"third file"
    );
    assert_eq!(&file_data(fetch(&mut sim, &u2).expect("fetch v2"))[..], b"second file");
    match fetch(&mut sim, "safe://mysite").expect("fetch top") {
        SafeData::PublicFile(f) => {
            assert_eq!(&f.data[..], b"first file");
            assert_eq!(f.media_type.as_deref(), Some("text/plain"));
            assert_eq!(f.resolved_from, f1, "the file step comes from the link");
        }
        other => panic!("fetch gave {other:?}"),
    }

    // nrsAdd creates the top name only when it is missing.
    let (u, created) = nrs_add(&mut sim, "news.mysite", &f1).expect("add to existing");
    assert!(!created);
    assert!(u.starts_with("safe://news.mysite?v="), "{u}");
    let (u, created) = nrs_add(&mut sim, "other", &f2).expect("add creating");
    assert!(created);
    assert_eq!(&file_data(fetch(&mut sim, &u).expect("fetch new"))[..], b"second file");

    // Removing a name: gone at the latest version, still there at the old ones.
    let u4 = nrs_remove(&mut sim, "blog.mysite").expect("remove");
    assert!(u4.starts_with("safe://blog.mysite?v="), "{u4}");
    let (link, _, map) = nrs_get(&mut sim, "blog.mysite", None).expect("get after remove");
    assert_eq!(link, None);
    assert!(!map.contains_key("blog.mysite"));
    assert_eq!(map.len(), 2, "{map:?}");
    let (link, _, _) = nrs_get(&mut sim, "blog.mysite", Some(&v3)).expect("get v3");
    assert_eq!(link.as_deref(), Some(f3.as_str()));
    let (link, _, _) =
        nrs_get(&mut sim, "blog.mysite", Some(&version_of(&u4))).expect("at removal");
    assert_eq!(link, None);
    assert_code(fetch(&mut sim, "safe://blog.mysite"), ErrorCode::NotFound, "blog.mysite");
    assert_eq!(&file_data(fetch(&mut sim, &u3).expect("fetch v3"))[..], b"third file");
    assert_code(nrs_remove(&mut sim, "blog.mysite"), ErrorCode::NotFound, "no link to remove");
    // Associating again after a removal works.
    let u5 = associate(&mut sim, "blog.mysite", &f2).expect("associate after remove");
    assert_eq!(&file_data(fetch(&mut sim, &u5).expect("fetch"))[..], b"second file");
}

#[test]
fn unknown_names_versions_and_maps_are_not_found() {
    let mut sim = connected();
    let f = sim.store(b"content", None);
    associate_top(&mut sim, "site", &f);
    let missing = VersionHash::from(EntryHash([7; 32])).to_string();
    assert_code(nrs_get(&mut sim, "site", Some(&missing)), ErrorCode::NotFound, "does not exist");
    assert_code(
        fetch(&mut sim, &format!("safe://site?v={missing}")),
        ErrorCode::NotFound,
        "does not exist",
    );
    assert_code(
        nrs_get(&mut sim, "site", Some("h123")),
        ErrorCode::InvalidArgument,
        "version hash",
    );
    assert_code(fetch(&mut sim, "safe://nosub.site"), ErrorCode::NotFound, "nosub.site");
    assert_code(fetch(&mut sim, "safe://nowhere"), ErrorCode::NotFound, "no NRS map");
    assert_code(associate(&mut sim, "a.nowhere", &f), ErrorCode::NotFound, "nrs_create");
    assert_code(nrs_remove(&mut sim, "nowhere"), ErrorCode::NotFound, "no NRS map");
    assert_code(nrs_get(&mut sim, "nowhere", None), ErrorCode::NotFound, "no NRS map");
    let (link, version, map) =
        nrs_get(&mut sim, "nosub.site", None).expect("no link is not an error");
    assert_eq!((link, version), (None, None));
    assert_eq!(map.len(), 1);
    // A file has no paths.
    assert_code(fetch(&mut sim, "safe://site/index.html"), ErrorCode::NotFound, "/index.html");
    assert_code(fetch(&mut sim, &format!("{f}/x")), ErrorCode::NotFound, "/x");
}

fn associate_top(sim: &mut Sim, top: &str, link: &str) -> String {
    nrs_add(sim, top, link).expect("nrsAdd").0
}

#[test]
fn names_and_links_are_checked() {
    let mut sim = connected();
    let f = sim.store(b"content", None);
    nrs_create(&mut sim, "site").expect("create");
    for bad in ["", "a..site", ".site", "site.", "a/b.site", "site?v=1", "a b.site", "safe://site"]
    {
        assert_code(associate(&mut sim, bad, &f), ErrorCode::InvalidUrl, "public name");
    }
    assert_code(nrs_create(&mut sim, "sub.site2"), ErrorCode::InvalidArgument, "sub names");
    // A XOR-URL-shaped top name would not be a name.
    let xor_top = SafeUrl::parse(&f).expect("url").top_name().to_owned();
    assert_code(nrs_create(&mut sim, &xor_top), ErrorCode::InvalidUrl, "XOR-URL");
    assert_code(associate(&mut sim, "site", "http://example.com"), ErrorCode::InvalidUrl, "link");
    assert_code(associate(&mut sim, "site", "not a url"), ErrorCode::InvalidUrl, "link");
    // Versionable content needs a version.
    let register =
        match sim.run(Operation::RegisterCreate { name: None, tag: 5, content_type: None }) {
            Ok(Output::Url(u)) => u,
            other => panic!("registerCreate: {other:?}"),
        };
    assert_code(
        associate(&mut sim, "r.site", &register),
        ErrorCode::InvalidArgument,
        "versionable",
    );
    assert_code(associate(&mut sim, "n.site", "safe://other"), ErrorCode::InvalidArgument, "?v=");
    let mm = multimap_create(&mut sim, 9);
    assert_code(associate(&mut sim, "m.site", &mm), ErrorCode::InvalidArgument, "Multimap");
    let written = match sim.run(Operation::RegisterWrite {
        url: register.clone(),
        entry: Bytes::from_static(b"hello"),
        parents: None,
    }) {
        Ok(Output::EntryHash(h)) => h,
        other => panic!("registerWrite: {other:?}"),
    };
    let v = VersionHash::from(EntryHash(hex32(&written)));
    let versioned = format!("{register}?v={v}");
    associate(&mut sim, "r.site", &versioned).expect("a versioned register link");
    match fetch(&mut sim, "safe://r.site").expect("fetch register") {
        SafeData::Register(r) => {
            assert_eq!(r.entries.len(), 1);
            assert_eq!(&r.entries[0].entry[..], b"hello");
            assert_eq!(r.resolved_from, versioned);
        }
        other => panic!("fetch gave {other:?}"),
    }
    // Nothing was written by the refused calls.
    let (_, _, map) = nrs_get(&mut sim, "site", None).expect("get");
    assert_eq!(map.keys().collect::<Vec<_>>(), vec!["r.site"]);
}

#[test]
fn only_the_owner_of_a_top_name_changes_it() {
    let mut sim = connected();
    let f = sim.store(b"content", None);
    nrs_add(&mut sim, "mine", &f).expect("add");
    set_new_keypair(&mut sim);
    assert_code(associate(&mut sim, "x.mine", &f), ErrorCode::NotOwner, "not this client's");
    assert_code(nrs_add(&mut sim, "x.mine", &f), ErrorCode::NotOwner, "not this client's");
    assert_code(nrs_remove(&mut sim, "mine"), ErrorCode::NotOwner, "not this client's");
    assert_code(nrs_create(&mut sim, "mine"), ErrorCode::Conflict, "already exists");
    // Everyone resolves it.
    assert_eq!(&file_data(fetch(&mut sim, "safe://mine").expect("fetch"))[..], b"content");
}

#[test]
fn a_top_name_without_a_link_resolves_to_its_map_and_inspect_shows_every_step() {
    let mut sim = connected();
    let f = sim.store(b"sub content", Some("text/plain"));
    nrs_create(&mut sim, "top").expect("create");
    let u = associate(&mut sim, "a.top", &f).expect("associate");
    match fetch(&mut sim, "safe://top").expect("fetch top") {
        SafeData::NrsMapContainer(m) => {
            assert_eq!(m.public_name, "top");
            assert_eq!(m.nrs_map, BTreeMap::from([("a.top".to_owned(), f.clone())]));
            assert_eq!(m.xorname, XorName::from_content(b"top"));
            assert_eq!(m.type_tag, 1500);
            assert_eq!(m.resolved_from, "safe://top");
            let x = SafeUrl::parse(&m.xorurl).expect("xorurl");
            assert_eq!(x.content_type(), &ContentType::NrsMapContainer);
            assert_eq!(x.xorname(), m.xorname);
            // The map's XOR-URL resolves to the same map.
            match fetch(&mut sim, &m.xorurl).expect("fetch xorurl") {
                SafeData::NrsMapContainer(again) => {
                    assert_eq!(again.nrs_map, m.nrs_map);
                    assert_eq!(again.public_name, "top");
                }
                other => panic!("fetch gave {other:?}"),
            }
        }
        other => panic!("fetch gave {other:?}"),
    }

    let chain = inspect(&mut sim, "safe://a.top").expect("inspect");
    assert_eq!(chain.len(), 2, "{chain:?}");
    match &chain[0] {
        SafeData::NrsEntry(e) => {
            assert_eq!(e.public_name, "a.top");
            assert_eq!(e.resolves_into, f);
            assert_eq!(e.resolved_from, "safe://a.top");
            assert_eq!(e.version.as_deref(), Some(version_of(&u).as_str()));
            assert!(e.xorurl.ends_with(&format!("?v={}", version_of(&u))), "{}", e.xorurl);
        }
        other => panic!("first step {other:?}"),
    }
    match &chain[1] {
        SafeData::PublicFile(p) => {
            assert!(p.data.is_empty(), "inspect reads no content");
            assert_eq!(p.size, 11);
            assert_eq!(p.xorurl, f);
            assert_eq!(p.resolved_from, f);
            assert_eq!(p.media_type.as_deref(), Some("text/plain"));
        }
        other => panic!("second step {other:?}"),
    }
    // fetch gives the last step of the same chain, with the content.
    match fetch(&mut sim, "safe://a.top").expect("fetch") {
        SafeData::PublicFile(p) => {
            assert_eq!(&p.data[..], b"sub content");
            assert_eq!(p.size, 11);
        }
        other => panic!("fetch gave {other:?}"),
    }
    // A range applies to the file at the end.
    let ranged = sim
        .run(Operation::Fetch { url: "safe://a.top".into(), range: harness::range(4, Some(7)) })
        .expect("ranged fetch");
    match ranged {
        Output::Data(SafeData::PublicFile(p)) => assert_eq!(&p.data[..], b"con"),
        other => panic!("fetch gave {other:?}"),
    }
    // Inspecting a file URL is one step.
    assert_eq!(inspect(&mut sim, &f).expect("inspect file").len(), 1);
}

#[test]
fn a_chain_of_ten_links_resolves_and_one_more_is_refused() {
    let mut sim = connected();
    let f = sim.store(b"the end", None);
    // c10 -> file; c9 -> c10; ... c0 -> c1: resolving cN follows 11 - N links.
    let mut link = f;
    for i in (0..=10).rev() {
        let (url, _) = nrs_add(&mut sim, &format!("c{i}.chain"), &link).expect("add");
        link = url;
    }
    assert_eq!(&file_data(fetch(&mut sim, "safe://c1.chain").expect("10 links"))[..], b"the end");
    assert_eq!(inspect(&mut sim, "safe://c1.chain").expect("inspect").len(), 11);
    assert_code(fetch(&mut sim, "safe://c0.chain"), ErrorCode::InvalidArgument, "loop");
    assert_code(inspect(&mut sim, "safe://c0.chain"), ErrorCode::InvalidArgument, "loop");
}

#[test]
fn a_link_loop_ends_in_an_error() {
    let mut sim = connected();
    nrs_create(&mut sim, "loop").expect("create");
    // nrsAssociate refuses unversioned NRS links, but the map's owner can write any entry.
    insert(&mut sim, "safe://loop", "a.loop", "safe://b.loop", &[]).expect("a -> b");
    insert(&mut sim, "safe://loop", "b.loop", "safe://a.loop/x", &[]).expect("b -> a");
    assert_code(fetch(&mut sim, "safe://a.loop"), ErrorCode::InvalidArgument, "more than 10 links");
}

#[test]
fn concurrent_links_of_one_name_are_a_conflict_until_associated_again() {
    let mut sim = connected();
    let f1 = sim.store(b"one", None);
    let f2 = sim.store(b"two", None);
    associate_top(&mut sim, "race", &f1);
    associate_top(&mut sim, "calm.race", &f1);
    // A second entry for the name beside the first, as a concurrent writer leaves it.
    insert(&mut sim, "safe://race", "race", &f2, &[]).expect("concurrent entry");
    assert_code(nrs_get(&mut sim, "race", None), ErrorCode::Conflict, "nrs_associate");
    assert_code(fetch(&mut sim, "safe://race"), ErrorCode::Conflict, "nrs_associate");
    // Other names are unaffected, and the map shows the link that sorts last.
    let (link, _, map) = nrs_get(&mut sim, "calm.race", None).expect("other name");
    assert_eq!(link.as_deref(), Some(f1.as_str()));
    assert_eq!(map.get("race"), Some(f1.clone().max(f2.clone())).as_ref());
    // Associating again replaces both.
    associate(&mut sim, "race", &f2).expect("settle");
    assert_eq!(&file_data(fetch(&mut sim, "safe://race").expect("fetch"))[..], b"two");
}

#[test]
fn the_subnames_map_is_nrs_gets_map_and_needs_no_link() {
    let mut sim = connected();
    let f1 = sim.store(b"one", None);
    let f2 = sim.store(b"two", None);
    assert_eq!(nrs_create(&mut sim, "subs").expect("create"), "safe://subs");
    // A new map is empty, and the top name has no link of its own.
    assert_eq!(subnames(&mut sim, "subs", None).expect("empty map"), BTreeMap::new());
    let u1 = associate(&mut sim, "blog.subs", &f1).expect("associate");
    associate(&mut sim, "docs.subs", &f2).expect("associate");
    let want = BTreeMap::from([
        ("blog.subs".to_owned(), f1.clone()),
        ("docs.subs".to_owned(), f2.clone()),
    ]);
    // Through the top name, a name with a link, or one without.
    for name in ["subs", "blog.subs", "nolink.subs"] {
        assert_eq!(subnames(&mut sim, name, None).expect(name), want, "{name}");
    }
    let (_, _, map) = nrs_get(&mut sim, "blog.subs", None).expect("get");
    assert_eq!(map, want);
    // At a version, nrs_get's map at that version.
    let v1 = version_of(&u1);
    let (_, _, at_v1) = nrs_get(&mut sim, "blog.subs", Some(&v1)).expect("get at v1");
    assert_eq!(subnames(&mut sim, "subs", Some(&v1)).expect("at v1"), at_v1);
    assert_eq!(at_v1, BTreeMap::from([("blog.subs".to_owned(), f1.clone())]));
    // A name with two concurrent links is a Conflict for nrs_get, not for the whole map.
    insert(&mut sim, "safe://subs", "blog.subs", &f2, &[]).expect("concurrent entry");
    assert_code(nrs_get(&mut sim, "blog.subs", None), ErrorCode::Conflict, "nrs_associate");
    let map = subnames(&mut sim, "subs", None).expect("map with a conflict");
    assert_eq!(map.get("blog.subs"), Some(f1.clone().max(f2.clone())).as_ref());
    // The errors of nrs_get.
    assert_code(subnames(&mut sim, "nowhere", None), ErrorCode::NotFound, "no NRS map");
    assert_code(
        subnames(&mut sim, "subs", Some("h123")),
        ErrorCode::InvalidArgument,
        "version hash",
    );
    assert_code(subnames(&mut sim, "not a name", None), ErrorCode::InvalidUrl, "public name");
}

#[test]
fn bad_urls_are_refused_at_start() {
    let mut sim = connected();
    for bad in ["http://x", "safe://", "safe://a..b", "safe://site?v=notaversion", "safe://a b"] {
        for op in [
            Operation::Fetch { url: bad.into(), range: None },
            Operation::Inspect { url: bad.into() },
        ] {
            let err = sim.start(op).expect_err(bad);
            assert_eq!(err.code, ErrorCode::InvalidUrl, "{bad}: {err}");
        }
    }
}

// ---- FilesContainers behind names (uses containers.rs) --------------------------------------

fn add_raw(sim: &mut Sim, url: &str, data: &[u8]) -> safe_client::ContainerResult {
    let op = Operation::FilesContainerAddFromRaw {
        data: Bytes::copy_from_slice(data),
        url: url.into(),
        force: false,
        update_nrs: false,
    };
    match sim.run(op) {
        Ok(Output::Container(c)) => c,
        other => panic!("filesContainerAddFromRaw: {other:?}"),
    }
}

#[test]
fn paths_resolve_through_a_name_into_its_files_container() {
    let mut sim = connected();
    let container = match sim.run(Operation::FilesContainerCreate) {
        Ok(Output::Url(u)) => u,
        other => panic!("filesContainerCreate: {other:?}"),
    };
    add_raw(&mut sim, &format!("{container}/index.html"), b"<p>home</p>");
    add_raw(&mut sim, &format!("{container}/my%20docs/a.txt"), b"text a");
    let latest = add_raw(&mut sim, &format!("{container}/my%20docs/b.txt"), b"text b");
    let version = latest.version.clone().expect("a version");
    assert!(latest.url.ends_with(&format!("?v={version}")), "{}", latest.url);
    // An unversioned container link is refused; the versioned one is taken.
    assert_code(nrs_add(&mut sim, "web", &container), ErrorCode::InvalidArgument, "FilesContainer");
    nrs_add(&mut sim, "web", &latest.url).expect("add");

    // The container itself, and a folder in it (its paths relative to it).
    match fetch(&mut sim, "safe://web").expect("fetch container") {
        SafeData::FilesContainer(c) => {
            assert_eq!(c.files_map, latest.files_map);
            assert_eq!(c.version.as_deref(), Some(version.as_str()));
            assert_eq!(c.type_tag, 1100);
            assert_eq!(c.metadata, None);
            assert_eq!(c.resolved_from, latest.url);
        }
        other => panic!("fetch gave {other:?}"),
    }
    match fetch(&mut sim, "safe://web/my%20docs/").expect("fetch folder") {
        SafeData::FilesContainer(c) => {
            let paths: Vec<&String> = c.files_map.keys().collect();
            assert_eq!(paths, vec!["/my docs/a.txt", "/my docs/b.txt"]);
            assert_eq!(c.files_map["/my docs/a.txt"], latest.files_map["/my docs/a.txt"]);
        }
        other => panic!("fetch gave {other:?}"),
    }

    // A file: the container step, then the file with the container's attributes of it.
    let chain = inspect(&mut sim, "safe://web/my%20docs/a.txt").expect("inspect");
    assert_eq!(chain.len(), 3, "{chain:?}");
    // The name's link as the map holds it; the next step is from it with the path carried.
    let target = format!("{container}/my%20docs/a.txt?v={version}");
    match &chain[0] {
        SafeData::NrsEntry(e) => assert_eq!(e.resolves_into, latest.url),
        other => panic!("first step {other:?}"),
    }
    match &chain[1] {
        SafeData::FilesContainer(c) => {
            assert_eq!(c.files_map, latest.files_map);
            assert_eq!(c.resolved_from, target);
        }
        other => panic!("second step {other:?}"),
    }
    match &chain[2] {
        SafeData::PublicFile(f) => {
            assert!(f.data.is_empty());
            assert_eq!(f.size, 6);
            let meta = f.metadata.as_ref().expect("metadata");
            assert_eq!(meta.get("name").map(String::as_str), Some("a.txt"));
            assert_eq!(meta.get("link"), Some(&f.xorurl));
            assert_eq!(meta.get("type").map(String::as_str), Some("text/plain"));
        }
        other => panic!("third step {other:?}"),
    }
    assert_eq!(
        &file_data(fetch(&mut sim, "safe://web/my%20docs/a.txt").expect("file"))[..],
        b"text a"
    );
    // Directly through the container's XOR-URL, resolved_from is the caller's URL.
    let direct = format!("{}/index.html", container);
    match fetch(&mut sim, &direct).expect("fetch by xorurl") {
        SafeData::PublicFile(f) => {
            assert_eq!(&f.data[..], b"<p>home</p>");
            assert_eq!(f.resolved_from, direct);
            assert!(f.metadata.is_some());
        }
        other => panic!("fetch gave {other:?}"),
    }
    assert_code(fetch(&mut sim, "safe://web/nope.txt"), ErrorCode::NotFound, "/nope.txt");
    assert_code(fetch(&mut sim, "safe://web/index.html/x"), ErrorCode::NotFound, "/index.html/x");

    // The name keeps pointing at the version it was given.
    add_raw(&mut sim, &format!("{container}/new.txt"), b"new");
    assert_code(fetch(&mut sim, "safe://web/new.txt"), ErrorCode::NotFound, "/new.txt");
    assert_eq!(
        &file_data(fetch(&mut sim, &format!("{container}/new.txt")).expect("latest"))[..],
        b"new"
    );
}
