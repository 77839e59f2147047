//! FilesContainers through the client core against in-memory nodes: what `create_from`, `add`,
//! `add_from_raw`, `sync`, `remove_path` and `get` put in the FilesMap, which versions they
//! write, the map's JSON on the network (read back from the nodes by hand), owners, cancelled
//! operations, and concurrent versions.

mod harness;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use harness::local::{dir, file, file_at, symlink, T0};
use harness::{noise, Sim};
use safe_client::safe_types::register::{EntryHash, RegisterAddress};
use safe_client::safe_types::{ContentType, DataType, SafeUrl, VersionHash, XorName, XorUrlBase};
use safe_client::{
    ByteSource, ContainerResult, Error, ErrorCode, FileChange, LocalItem, LocalItems, LocalKind,
    Operation, Output, ProgressUnit, Source,
};

const T1: &str = "2024-06-01T00:00:00Z";

fn local(location: &str, items: Vec<LocalItem>) -> LocalItems {
    LocalItems { location: location.into(), items }
}

/// A small site: nested folders, files with and without a known type (one large enough to be
/// several chunks), and a symlink.
fn site() -> Vec<LocalItem> {
    vec![
        dir(""),
        file("index.html", b"<h1>hello</h1>"),
        dir("img"),
        file("img/a.png", &noise(300_000, 1)),
        dir("img/icons"),
        file("img/icons/b.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        file("notes", b"plain notes"),
        symlink("home", "index.html", "file"),
    ]
}

/// The content of each file of [`site`], by relative path.
fn site_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("index.html", b"<h1>hello</h1>".to_vec()),
        ("img/a.png", noise(300_000, 1)),
        ("img/icons/b.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec()),
        ("notes", b"plain notes".to_vec()),
    ]
}

// ---- operations ---------------------------------------------------------------------------

fn container(out: Result<Output, Error>) -> Result<ContainerResult, Error> {
    out.map(|o| match o {
        Output::Container(c) => c,
        other => panic!("a container operation gave {other:?}"),
    })
}

fn create_from(
    sim: &mut Sim,
    location: &str,
    items: Vec<LocalItem>,
    dst: Option<&str>,
) -> ContainerResult {
    let op = Operation::FilesContainerCreateFrom {
        local: local(location, items),
        dst: dst.map(str::to_owned),
    };
    container(sim.run(op)).expect("create_from succeeds")
}

fn create_empty(sim: &mut Sim) -> String {
    match sim.run(Operation::FilesContainerCreate) {
        Ok(Output::Url(url)) => url,
        other => panic!("create gave {other:?}"),
    }
}

fn add(
    sim: &mut Sim,
    location: &str,
    items: Vec<LocalItem>,
    url: &str,
    force: bool,
) -> Result<ContainerResult, Error> {
    let op = Operation::FilesContainerAdd {
        local: local(location, items),
        url: url.into(),
        force,
        update_nrs: false,
    };
    container(sim.run(op))
}

fn add_raw(sim: &mut Sim, data: &[u8], url: &str, force: bool) -> Result<ContainerResult, Error> {
    let op = Operation::FilesContainerAddFromRaw {
        data: Bytes::copy_from_slice(data),
        url: url.into(),
        force,
        update_nrs: false,
    };
    container(sim.run(op))
}

fn sync(
    sim: &mut Sim,
    location: &str,
    items: Vec<LocalItem>,
    url: &str,
    delete: bool,
) -> Result<ContainerResult, Error> {
    let op = Operation::FilesContainerSync {
        local: local(location, items),
        url: url.into(),
        delete,
        update_nrs: false,
    };
    container(sim.run(op))
}

fn remove(sim: &mut Sim, url: &str, recursive: bool) -> Result<ContainerResult, Error> {
    let op = Operation::FilesContainerRemovePath { url: url.into(), recursive, update_nrs: false };
    container(sim.run(op))
}

fn get(sim: &mut Sim, url: &str) -> Result<ContainerResult, Error> {
    container(sim.run(Operation::FilesContainerGet { url: url.into() }))
}

// ---- URLs and the nodes' view -------------------------------------------------------------

/// `url` without its version, with `path` (percent-encoded) instead of its path.
fn at(url: &str, path: &str) -> String {
    let mut parsed = SafeUrl::parse(url).expect("url");
    parsed.set_content_version(None);
    parsed.set_path(path).expect("path");
    parsed.to_string()
}

fn address(url: &str) -> RegisterAddress {
    let parsed = SafeUrl::parse(url).expect("url");
    RegisterAddress { name: parsed.xorname(), tag: parsed.type_tag() }
}

fn version_of(c: &ContainerResult) -> EntryHash {
    let v: VersionHash = c.version.as_deref().expect("a version").parse().expect("a version hash");
    v.entry_hash()
}

/// The most entries any node holds for the register at `url`.
fn entries_on_nodes(sim: &Sim, url: &str) -> usize {
    let address = address(url);
    sim.nodes.iter().filter_map(|n| n.registers.get(&address)).map(|r| r.len()).max().unwrap_or(0)
}

/// The parents of entry `hash` of the register at `url`, as a node holds it.
fn parents_on_nodes(sim: &Sim, url: &str, hash: EntryHash) -> BTreeSet<EntryHash> {
    let address = address(url);
    sim.nodes
        .iter()
        .filter_map(|n| n.registers.get(&address))
        .find_map(|r| r.get(&hash).map(|e| e.parents.clone()))
        .expect("some node holds the entry")
}

fn added(link: &str) -> FileChange {
    FileChange::Added(link.to_owned())
}

fn failed_with(change: Option<&FileChange>, words: &str) -> bool {
    matches!(change, Some(FileChange::Failed(why)) if why.contains(words))
}

// ---- create_from and get ------------------------------------------------------------------

#[test]
fn create_from_a_nested_folder_lists_every_item_and_each_link_reads_back_its_file() {
    let mut sim = Sim::new(3);
    sim.connect();
    let created = create_from(&mut sim, "site", site(), None);

    let parsed = SafeUrl::parse(&created.url).expect("url");
    assert_eq!(parsed.type_tag(), 1100);
    assert_eq!(*parsed.content_type(), ContentType::FilesContainer);
    assert_eq!(parsed.data_type(), DataType::Register);
    assert_eq!(parsed.content_version().map(|v| v.to_string()), created.version);

    let keys: Vec<&str> = created.files_map.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "/site",
            "/site/home",
            "/site/img",
            "/site/img/a.png",
            "/site/img/icons",
            "/site/img/icons/b.svg",
            "/site/index.html",
            "/site/notes"
        ]
    );
    // Processed: by local path, each Added with the link the map holds ("" for folders and
    // symlinks).
    assert_eq!(created.processed.len(), 8);
    assert_eq!(created.processed["site"], added(""));
    assert_eq!(created.processed["site/img"], added(""));
    assert_eq!(created.processed["site/home"], added(""));
    for (path, content) in site_files() {
        let info = &created.files_map[&format!("/site/{path}")];
        assert_eq!(created.processed[&format!("site/{path}")], added(&info["link"]));
        assert_eq!(info["size"], content.len().to_string());
        let got = sim.get(&info["link"], None).expect("the file reads back");
        assert!(got[..] == content[..], "{path} differs");
    }

    let html = &created.files_map["/site/index.html"];
    assert_eq!(html["type"], "text/html");
    assert_eq!(
        *SafeUrl::parse(&html["link"]).expect("link").content_type(),
        ContentType::MediaType("text/html".into()),
        "the link names the media type"
    );
    assert_eq!(created.files_map["/site/img/a.png"]["type"], "image/png");
    assert_eq!(created.files_map["/site/img/icons/b.svg"]["type"], "image/svg+xml");
    let notes = &created.files_map["/site/notes"];
    assert_eq!(notes["type"], "Raw");
    assert_eq!(*SafeUrl::parse(&notes["link"]).expect("link").content_type(), ContentType::Raw);
    assert_eq!(html["mode_bits"], (0o100644).to_string());
    assert_eq!(html["readonly"], "false");
    assert_eq!(html["o_created"], T0);
    assert_eq!(html["o_modified"], T0);
    for key in ["created", "modified"] {
        let t = &html[key];
        assert!(t.len() == 20 && t.ends_with('Z') && t.as_bytes()[10] == b'T', "{key}: {t}");
    }

    let folder = &created.files_map["/site/img"];
    assert_eq!(folder["type"], "inode/directory");
    assert_eq!(folder["size"], "0");
    assert!(!folder.contains_key("link"), "folders have no link, as in sn_api");
    let link = &created.files_map["/site/home"];
    assert_eq!(link["type"], "inode/symlink");
    assert_eq!(link["symlink_target"], "index.html");
    assert_eq!(link["symlink_target_type"], "file");
    assert!(!link.contains_key("link") && !link.contains_key("o_modified"));

    // Per-file progress, ending with every file done.
    let files: Vec<_> = sim
        .progress
        .iter()
        .filter(|(_, p)| p.unit == ProgressUnit::Files)
        .map(|(_, p)| p)
        .collect();
    assert!(files.iter().any(|p| p.done == 4 && p.total == 4), "{files:?}");
    assert!(files.iter().any(|p| p.item.as_deref() == Some("site/img/a.png")));

    // get: the same map and version, through the versioned URL and the bare one.
    for url in [created.url.clone(), at(&created.url, "")] {
        let got = get(&mut sim, &url).expect("get");
        assert_eq!(got.files_map, created.files_map);
        assert_eq!(got.version, created.version);
        assert_eq!(got.url, created.url);
        assert!(got.processed.is_empty());
    }
}

#[test]
fn a_trailing_slash_puts_the_contents_and_a_destination_places_or_renames() {
    let mut sim = Sim::new(1);
    sim.connect();
    let keys = |c: &ContainerResult| c.files_map.keys().cloned().collect::<Vec<_>>();

    let contents = create_from(&mut sim, "site/", site(), None);
    assert!(contents.files_map.contains_key("/index.html"));
    assert!(contents.files_map.contains_key("/img/icons/b.svg"));
    assert!(!contents.files_map.keys().any(|k| k.starts_with("/site")), "{:?}", keys(&contents));
    assert_eq!(contents.files_map.len(), 7, "the location itself is not an entry");
    assert!(!contents.processed.contains_key("site/") && !contents.processed.contains_key("site"));
    assert!(contents.processed.contains_key("site/index.html"));

    // A destination ending in '/' is a folder to put the location in...
    let inside = create_from(&mut sim, "site", site(), Some("/www/"));
    assert!(inside.files_map.contains_key("/www/site"));
    assert!(inside.files_map.contains_key("/www/site/img/a.png"));
    let contents_inside = create_from(&mut sim, "site/", site(), Some("/www/"));
    assert!(contents_inside.files_map.contains_key("/www/index.html"));
    assert!(!contents_inside.files_map.contains_key("/www"));
    // ...one without is the location's new name (sn_api's rule).
    let renamed = create_from(&mut sim, "site", site(), Some("/www"));
    assert_eq!(renamed.files_map["/www"]["type"], "inode/directory");
    assert!(renamed.files_map.contains_key("/www/img/a.png"));
    assert!(!renamed.files_map.keys().any(|k| k.contains("site")));

    // A single file: by its name, or renamed by the destination.
    let single = create_from(&mut sim, "docs/readme.md", vec![file("", b"# read me")], None);
    assert_eq!(keys(&single), ["/readme.md"]);
    assert_eq!(single.processed["docs/readme.md"], added(&single.files_map["/readme.md"]["link"]));
    assert_eq!(single.files_map["/readme.md"]["type"], "text/markdown");
    let moved =
        create_from(&mut sim, "docs/readme.md", vec![file("", b"# read me")], Some("/a/b.md"));
    assert_eq!(keys(&moved), ["/a/b.md"]);
    assert_eq!(moved.files_map["/a/b.md"]["link"], single.files_map["/readme.md"]["link"]);

    // Paths that climb out are refused before anything is stored.
    let op = Operation::FilesContainerCreateFrom {
        local: local("site", vec![dir(""), file("../x.txt", b"x")]),
        dst: None,
    };
    let err = sim.run(op).expect_err("'..' refused");
    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
}

// ---- add and add_from_raw -----------------------------------------------------------------

#[test]
fn add_puts_a_file_where_the_url_says_and_replaces_one_only_with_force() {
    let mut sim = Sim::new(3);
    sim.connect();
    let url = create_empty(&mut sim);
    let empty = get(&mut sim, &url).expect("get");
    assert_eq!(empty.version, None);
    assert!(empty.files_map.is_empty());
    assert_eq!(entries_on_nodes(&sim, &url), 0);

    let first = add(&mut sim, "docs/a.txt", vec![file("", b"first")], &url, false).expect("add");
    let link = first.files_map["/a.txt"]["link"].clone();
    assert_eq!(first.processed["docs/a.txt"], added(&link));
    assert_eq!(first.files_map["/a.txt"]["type"], "text/plain");
    assert_eq!(&sim.get(&link, None).expect("read")[..], b"first");
    assert_eq!(entries_on_nodes(&sim, &url), 1);

    // Inside a folder, and under a new name.
    let in_folder =
        add(&mut sim, "docs/a.txt", vec![file("", b"first")], &at(&url, "/dir/"), false)
            .expect("add");
    assert!(in_folder.files_map.contains_key("/dir/a.txt"));
    let renamed = add(&mut sim, "docs/a.txt", vec![file("", b"first")], &at(&url, "/b.txt"), false)
        .expect("add");
    assert_eq!(renamed.files_map["/b.txt"]["link"], link);
    assert_eq!(renamed.files_map.len(), 3);
    let v3 = renamed.version.clone();

    // Without force an existing path stays as it is, and no version is written.
    let refused = add(&mut sim, "docs/a.txt", vec![file("", b"second")], &url, false).expect("add");
    assert!(failed_with(refused.processed.get("docs/a.txt"), "force"), "{:?}", refused.processed);
    assert_eq!(refused.version, None);
    assert_eq!(refused.files_map["/a.txt"]["link"], link);
    assert_eq!(entries_on_nodes(&sim, &url), 3);

    // With force a different content replaces it...
    let forced = add(&mut sim, "docs/a.txt", vec![file("", b"second")], &url, true).expect("add");
    let new_link = forced.files_map["/a.txt"]["link"].clone();
    assert_ne!(new_link, link);
    assert_eq!(forced.processed["docs/a.txt"], FileChange::Updated(new_link.clone()));
    assert_ne!(forced.version, v3);
    assert_eq!(&sim.get(&new_link, None).expect("read")[..], b"second");
    assert_eq!(
        forced.files_map["/a.txt"]["created"], first.files_map["/a.txt"]["created"],
        "an updated entry keeps its creation time"
    );
    // ...and the same content is nothing to do.
    let same = add(&mut sim, "docs/a.txt", vec![file("", b"second")], &url, true).expect("add");
    assert!(failed_with(same.processed.get("docs/a.txt"), "same content"), "{:?}", same.processed);
    assert_eq!(same.version, None);
    assert_eq!(entries_on_nodes(&sim, &url), 4);

    // A file cannot replace a folder, even with force.
    let onto_folder =
        add(&mut sim, "docs/dir", vec![file("", b"x")], &at(&url, "/dir"), true).expect("add");
    assert!(
        failed_with(onto_folder.processed.get("docs/dir"), "folder"),
        "{:?}",
        onto_folder.processed
    );
    assert_eq!(onto_folder.version, None);
}

#[test]
fn add_from_raw_stores_bytes_under_the_url_path() {
    let mut sim = Sim::new(3);
    sim.connect();
    let url = create_empty(&mut sim);

    let added_raw =
        add_raw(&mut sim, b"buy milk", &at(&url, "/notes/todo.txt"), false).expect("add");
    let info = &added_raw.files_map["/notes/todo.txt"];
    assert_eq!(added_raw.processed["/notes/todo.txt"], added(&info["link"]));
    assert_eq!(info["type"], "text/plain");
    assert_eq!(info["size"], "8");
    assert_eq!(&sim.get(&info["link"], None).expect("read")[..], b"buy milk");

    let refused =
        add_raw(&mut sim, b"buy bread", &at(&url, "/notes/todo.txt"), false).expect("add");
    assert!(failed_with(refused.processed.get("/notes/todo.txt"), "force"));
    assert_eq!(refused.version, None);
    let forced = add_raw(&mut sim, b"buy bread", &at(&url, "/notes/todo.txt"), true).expect("add");
    let link = forced.files_map["/notes/todo.txt"]["link"].clone();
    assert_eq!(forced.processed["/notes/todo.txt"], FileChange::Updated(link.clone()));
    assert_eq!(&sim.get(&link, None).expect("read")[..], b"buy bread");
    assert_eq!(entries_on_nodes(&sim, &url), 2);

    for no_name in [at(&url, ""), at(&url, "/notes/")] {
        let err = add_raw(&mut sim, b"x", &no_name, false).expect_err("no file name");
        assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
    }
}

// ---- sync ---------------------------------------------------------------------------------

/// A source that counts how often it is read.
struct Counted {
    bytes: Bytes,
    at: usize,
    reads: Arc<AtomicUsize>,
}

impl ByteSource for Counted {
    fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn read(&mut self, max: usize) -> Result<Bytes, String> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let end = self.bytes.len().min(self.at + max);
        let piece = self.bytes.slice(self.at..end);
        self.at = end;
        Ok(piece)
    }
}

#[test]
fn sync_adds_and_updates_and_with_delete_removes_only_under_its_destination() {
    let mut sim = Sim::new(3);
    sim.connect();
    let base = vec![
        dir(""),
        file("a.txt", b"alpha"),
        file("b.txt", b"bravo"),
        dir("sub"),
        file("sub/c.txt", b"charlie"),
    ];
    let created = create_from(&mut sim, "site/", base, Some("/www/"));
    let url = created.url.clone();
    let other = add_raw(&mut sim, b"elsewhere", &at(&url, "/other.txt"), false).expect("add");
    assert_eq!(other.files_map.len(), 5);

    // a.txt changed, b.txt the same (not even read: same size and time), sub/ gone, d.txt new.
    let reads = Arc::new(AtomicUsize::new(0));
    let unchanged_b = LocalItem {
        kind: LocalKind::File(Source::new(Counted {
            bytes: Bytes::from_static(b"bravo"),
            at: 0,
            reads: reads.clone(),
        })),
        ..file("b.txt", b"")
    };
    let changed = || vec![dir(""), file_at("a.txt", b"ALPHA!", T1), file("d.txt", b"delta")];
    let mut items = changed();
    items.insert(2, unchanged_b);
    let kept = sync(&mut sim, "site/", items, &at(&url, "/www/"), false).expect("sync");
    assert_eq!(reads.load(Ordering::Relaxed), 0, "an unchanged file is not read");
    let a_link = kept.files_map["/www/a.txt"]["link"].clone();
    assert_eq!(kept.processed["site/a.txt"], FileChange::Updated(a_link.clone()));
    assert_eq!(&sim.get(&a_link, None).expect("read")[..], b"ALPHA!");
    assert_eq!(kept.processed["site/d.txt"], added(&kept.files_map["/www/d.txt"]["link"]));
    assert!(!kept.processed.contains_key("site/b.txt"));
    assert_eq!(kept.processed.len(), 2);
    assert!(kept.files_map.contains_key("/www/sub/c.txt"), "kept without delete");
    assert_eq!(kept.files_map["/www/b.txt"], created.files_map["/www/b.txt"]);

    // With delete: what is not local any more goes, by container path, but only under /www.
    let deleted = sync(&mut sim, "site/", changed(), &at(&url, "/www/"), true).expect("sync");
    assert_eq!(
        deleted.processed["/www/sub/c.txt"],
        FileChange::Removed(created.files_map["/www/sub/c.txt"]["link"].clone())
    );
    assert_eq!(deleted.processed["/www/sub"], FileChange::Removed(String::new()));
    assert_eq!(
        deleted.processed["/www/b.txt"],
        FileChange::Removed(created.files_map["/www/b.txt"]["link"].clone())
    );
    assert_eq!(deleted.processed.len(), 3, "{:?}", deleted.processed);
    let keys: Vec<&str> = deleted.files_map.keys().map(String::as_str).collect();
    assert_eq!(keys, ["/other.txt", "/www/a.txt", "/www/d.txt"]);
    let entries = entries_on_nodes(&sim, &url);

    // Nothing changed: no version written.
    let idle = sync(&mut sim, "site/", changed(), &at(&url, "/www/"), true).expect("sync");
    assert!(idle.processed.is_empty(), "{:?}", idle.processed);
    assert_eq!(idle.version, None);
    assert_eq!(idle.files_map, deleted.files_map);
    assert_eq!(entries_on_nodes(&sim, &url), entries);
}

// ---- remove_path --------------------------------------------------------------------------

#[test]
fn remove_path_removes_a_file_and_a_folder_only_when_recursive() {
    let mut sim = Sim::new(3);
    sim.connect();
    let created = create_from(&mut sim, "site/", site(), None);
    let url = created.url.clone();

    let err = remove(&mut sim, &at(&url, "/img"), false).expect_err("a folder");
    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
    assert!(err.message.contains("recursive"), "{err}");
    let err = remove(&mut sim, &at(&url, "/missing.txt"), false).expect_err("nothing there");
    assert_eq!(err.code, ErrorCode::NotFound, "{err}");
    let err = remove(&mut sim, &at(&url, ""), true).expect_err("no path");
    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
    assert_eq!(entries_on_nodes(&sim, &url), 1);

    let one = remove(&mut sim, &at(&url, "/index.html"), false).expect("remove a file");
    assert_eq!(
        one.processed["/index.html"],
        FileChange::Removed(created.files_map["/index.html"]["link"].clone())
    );
    assert!(!one.files_map.contains_key("/index.html"));
    assert_eq!(one.files_map.len(), created.files_map.len() - 1);

    let folder = remove(&mut sim, &at(&url, "/img"), true).expect("remove a folder");
    let gone: Vec<&str> = folder.processed.keys().map(String::as_str).collect();
    assert_eq!(gone, ["/img", "/img/a.png", "/img/icons", "/img/icons/b.svg"]);
    let left: Vec<&str> = folder.files_map.keys().map(String::as_str).collect();
    assert_eq!(left, ["/home", "/notes"]);
    assert_eq!(get(&mut sim, &at(&url, "")).expect("get").files_map, folder.files_map);
    // The URL of the first version still names it.
    assert_eq!(get(&mut sim, &url).expect("get").files_map, created.files_map);
    assert_eq!(entries_on_nodes(&sim, &url), 3);
}

// ---- versions -----------------------------------------------------------------------------

#[test]
fn every_version_stays_readable_by_its_url_and_an_unknown_one_is_not_found() {
    let mut sim = Sim::new(3);
    sim.connect();
    let v1 = create_from(&mut sim, "site/", vec![dir(""), file("a.txt", b"one")], None);
    let v2 = add_raw(&mut sim, b"two", &at(&v1.url, "/b.txt"), false).expect("add");
    assert_ne!(v1.version, v2.version);
    assert_eq!(parents_on_nodes(&sim, &v1.url, version_of(&v2)), BTreeSet::from([version_of(&v1)]));
    assert!(parents_on_nodes(&sim, &v1.url, version_of(&v1)).is_empty());

    let old = get(&mut sim, &v1.url).expect("v1");
    assert_eq!(old.files_map, v1.files_map);
    assert_eq!(old.version, v1.version);
    let new = get(&mut sim, &v2.url).expect("v2");
    assert_eq!(new.files_map, v2.files_map);
    let latest = get(&mut sim, &at(&v1.url, "")).expect("latest");
    assert_eq!(latest.version, v2.version);
    assert_eq!(latest.files_map.len(), 2);

    let mut unknown = SafeUrl::parse(&v1.url).expect("url");
    unknown.set_content_version(Some(VersionHash::new(EntryHash([7; 32]))));
    let err = get(&mut sim, &unknown.to_string()).expect_err("no such version");
    assert_eq!(err.code, ErrorCode::NotFound, "{err}");
}

#[test]
fn concurrent_versions_read_as_one_and_the_next_write_merges_them() {
    let mut sim = Sim::new(3);
    sim.connect();
    let v1 = create_from(&mut sim, "site/", vec![dir(""), file("a.txt", b"one")], None);
    let v2 = add_raw(&mut sim, b"two", &at(&v1.url, "/b.txt"), false).expect("add");
    // Another writer, from v1 too: two heads of the same depth.
    let v1_map_url = {
        let address = address(&v1.url);
        let register = sim.nodes.iter().find_map(|n| n.registers.get(&address)).expect("held");
        register.get(&version_of(&v1)).expect("v1").content.clone()
    };
    let op = Operation::RegisterWrite {
        url: at(&v1.url, ""),
        entry: v1_map_url,
        parents: Some(vec![version_of(&v1).to_string()]),
    };
    let v3 = match sim.run(op) {
        Ok(Output::EntryHash(h)) => h,
        other => panic!("{other:?}"),
    };
    let expected = std::cmp::max(version_of(&v2).to_string(), v3.clone());

    let latest = get(&mut sim, &at(&v1.url, "")).expect("get");
    let chosen = version_of(&latest).to_string();
    assert_eq!(chosen, expected, "the greater hash of two heads of the same depth");
    let again = get(&mut sim, &at(&v1.url, "")).expect("get");
    assert_eq!(again.version, latest.version);

    let merged = add_raw(&mut sim, b"three", &at(&v1.url, "/c.txt"), false).expect("add");
    let parents: BTreeSet<String> = parents_on_nodes(&sim, &v1.url, version_of(&merged))
        .iter()
        .map(|h| h.to_string())
        .collect();
    assert_eq!(parents, BTreeSet::from([version_of(&v2).to_string(), v3]));
    assert_eq!(get(&mut sim, &at(&v1.url, "")).expect("get").version, merged.version);
}

// ---- owners, wrong URLs -------------------------------------------------------------------

#[test]
fn another_key_reads_the_container_but_cannot_change_it() {
    let mut sim = Sim::new(3);
    sim.connect();
    let created = create_from(&mut sim, "site/", vec![dir(""), file("a.txt", b"one")], None);
    let url = created.url.clone();
    let other = match sim.run(Operation::NewKeypair) {
        Ok(Output::Keypair(k)) => k,
        other => panic!("{other:?}"),
    };
    sim.run(Operation::SetKeypair { secret_key: other.secret_key }).expect("set keypair");
    let chunks_before: usize = sim.nodes.iter().map(|n| n.store.len()).sum();

    let err = add(&mut sim, "b.txt", vec![file("", b"mine")], &url, false).expect_err("not owner");
    assert_eq!(err.code, ErrorCode::NotOwner, "{err}");
    let err = add_raw(&mut sim, b"mine", &at(&url, "/b.txt"), true).expect_err("not owner");
    assert_eq!(err.code, ErrorCode::NotOwner, "{err}");
    let err = sync(&mut sim, "site/", vec![dir(""), file("b.txt", b"mine")], &url, true)
        .expect_err("not owner");
    assert_eq!(err.code, ErrorCode::NotOwner, "{err}");
    let err = remove(&mut sim, &at(&url, "/a.txt"), false).expect_err("not owner");
    assert_eq!(err.code, ErrorCode::NotOwner, "{err}");
    let chunks_after: usize = sim.nodes.iter().map(|n| n.store.len()).sum();
    assert_eq!(chunks_after, chunks_before, "refused before storing anything");
    assert_eq!(entries_on_nodes(&sim, &url), 1);

    assert_eq!(get(&mut sim, &url).expect("anyone reads").files_map, created.files_map);
}

#[test]
fn urls_of_other_things_are_refused_and_a_missing_container_is_not_found() {
    let mut sim = Sim::new(3);
    sim.connect();
    let file_url = sim.store(b"just a file", None);
    let register_url =
        match sim.run(Operation::RegisterCreate { name: None, tag: 1100, content_type: None }) {
            Ok(Output::Url(url)) => url,
            other => panic!("{other:?}"),
        };
    for url in [&file_url, &register_url] {
        let err = get(&mut sim, url).expect_err("not a container");
        assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
        let err = add_raw(&mut sim, b"x", &at(url, "/x"), false).expect_err("not a container");
        assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
    }
    let missing = SafeUrl::new_xorurl(
        XorName([9; 32]),
        1100,
        ContentType::FilesContainer,
        DataType::Register,
        XorUrlBase::Base32z,
    )
    .expect("url")
    .to_string();
    let err = get(&mut sim, &missing).expect_err("no such container");
    assert_eq!(err.code, ErrorCode::NotFound, "{err}");

    let url = create_empty(&mut sim);
    let op = Operation::FilesContainerAddFromRaw {
        data: Bytes::from_static(b"x"),
        url: at(&url, "/x"),
        force: false,
        update_nrs: true,
    };
    let err = sim.run(op).expect_err("update_nrs needs an NRS URL");
    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
}

// ---- the format on the network ------------------------------------------------------------

#[test]
fn each_version_is_a_register_entry_holding_the_url_of_the_files_map_as_json() {
    let mut sim = Sim::new(3);
    sim.connect();
    let created = create_from(&mut sim, "site", site(), None);

    let address = address(&created.url);
    assert_eq!(address.tag, 1100);
    let register = sim.nodes.iter().find_map(|n| n.registers.get(&address)).expect("held");
    assert_eq!(register.len(), 1);
    let entry = register.get(&version_of(&created)).expect("the version is the entry");
    let map_url = std::str::from_utf8(&entry.content).expect("a UTF-8 URL").to_owned();
    let parsed = SafeUrl::parse(&map_url).expect("a XOR-URL");
    assert_eq!(parsed.data_type(), DataType::File);
    assert_eq!(*parsed.content_type(), ContentType::Raw);

    let json = sim.get(&map_url, None).expect("the map file reads back");
    let text = std::str::from_utf8(&json).expect("JSON text");
    assert!(text.starts_with("{\"/site\":{\"created\":"), "{text}");
    assert!(!text.contains(": ") && !text.contains('\n'), "compact, as serde_json::to_vec");
    let parsed: BTreeMap<String, BTreeMap<String, String>> =
        serde_json::from_str(text).expect("a FilesMap");
    assert_eq!(parsed, created.files_map);
    let names = |path: &str| parsed[path].keys().map(String::as_str).collect::<Vec<_>>();
    assert_eq!(
        names("/site/index.html"),
        [
            "created",
            "link",
            "mode_bits",
            "modified",
            "o_created",
            "o_modified",
            "readonly",
            "size",
            "type"
        ]
    );
    assert_eq!(
        names("/site/home"),
        [
            "created",
            "mode_bits",
            "modified",
            "readonly",
            "size",
            "symlink_target",
            "symlink_target_type",
            "type"
        ]
    );
}

// ---- cancelled operations -----------------------------------------------------------------

/// Four files of 1.5 MiB: long enough to cancel in the middle.
fn big_files() -> Vec<LocalItem> {
    let mut items = vec![dir("")];
    for i in 0..4u64 {
        items.push(file(&format!("f{i}.bin"), &noise(1_500_000, 10 + i)));
    }
    items
}

/// Runs `op` until it has stored `files` files, cancels it, and expects it to end cancelled.
fn cancel_after(sim: &mut Sim, op: Operation, files: u64) {
    let id = sim.start(op).expect("started");
    sim.run_until(|s| {
        s.progress
            .iter()
            .any(|(_, p)| p.id == id && p.unit == ProgressUnit::Files && p.done >= files)
    });
    assert!(sim.completion(id).is_none(), "still running");
    sim.cancel(id);
    sim.run_until_idle();
    let err = sim.completion(id).expect("completed").result.clone().expect_err("cancelled");
    assert_eq!(err.code, ErrorCode::Cancelled, "{err}");
}

#[test]
fn a_cancelled_create_from_leaves_no_container_behind() {
    let mut sim = Sim::new(3);
    sim.connect();
    let op = Operation::FilesContainerCreateFrom { local: local("big/", big_files()), dst: None };
    cancel_after(&mut sim, op, 2);
    assert!(sim.nodes.iter().all(|n| n.registers.is_empty()), "no register was created");
}

#[test]
fn a_cancelled_sync_leaves_the_container_as_it_was() {
    let mut sim = Sim::new(3);
    sim.connect();
    let created = create_from(&mut sim, "big/", vec![dir(""), file("keep.txt", b"kept")], None);
    let op = Operation::FilesContainerSync {
        local: local("big/", big_files()),
        url: created.url.clone(),
        delete: true,
        update_nrs: false,
    };
    cancel_after(&mut sim, op, 2);
    assert_eq!(entries_on_nodes(&sim, &created.url), 1);
    let after = get(&mut sim, &at(&created.url, "")).expect("get");
    assert_eq!(after.version, created.version);
    assert_eq!(after.files_map, created.files_map);

    // And the same sync, run to the end, then works.
    let done = sync(&mut sim, "big/", big_files(), &created.url, true).expect("sync");
    assert_eq!(done.files_map.len(), 4);
    assert_eq!(
        done.processed["/keep.txt"],
        FileChange::Removed(created.files_map["/keep.txt"]["link"].clone())
    );
}

// ---- NRS URLs -----------------------------------------------------------------------------

fn nrs_link(sim: &mut Sim, name: &str) -> String {
    match sim.run(Operation::NrsGet { name: name.into(), version: None }) {
        Ok(Output::Nrs { link: Some(link), .. }) => link,
        other => panic!("nrsGet gave {other:?}"),
    }
}

#[test]
fn an_nrs_url_leads_to_its_container_and_update_nrs_points_the_name_at_the_new_version() {
    let mut sim = Sim::new(3);
    sim.connect();
    let v1 = create_from(&mut sim, "site/", vec![dir(""), file("a.txt", b"one")], None);
    match sim.run(Operation::NrsAdd { name: "mysite".into(), link: v1.url.clone() }) {
        Ok(Output::NrsAdded { .. }) => {}
        other => panic!("nrsAdd gave {other:?}"),
    }
    assert_eq!(get(&mut sim, "safe://mysite").expect("get").files_map, v1.files_map);

    // Without update_nrs the container changes, and the name still names the old version.
    let v2 = add_raw(&mut sim, b"two", "safe://mysite/b.txt", false).expect("add through NRS");
    assert_eq!(SafeUrl::parse(&v2.url).expect("url").xorname(), address(&v1.url).name);
    assert!(v2.files_map.contains_key("/b.txt"));
    assert_eq!(nrs_link(&mut sim, "mysite"), v1.url);
    assert_eq!(get(&mut sim, "safe://mysite").expect("get").files_map, v1.files_map);

    // With it, the name follows.
    let op = Operation::FilesContainerAddFromRaw {
        data: Bytes::from_static(b"three"),
        url: "safe://mysite/c.txt".into(),
        force: false,
        update_nrs: true,
    };
    let v3 = container(sim.run(op)).expect("add with update_nrs");
    assert!(v3.files_map.contains_key("/b.txt") && v3.files_map.contains_key("/c.txt"));
    assert_eq!(nrs_link(&mut sim, "mysite"), v3.url);
    let through_name = get(&mut sim, "safe://mysite").expect("get");
    assert_eq!(through_name.files_map, v3.files_map);
    assert_eq!(through_name.version, v3.version);

    let op = Operation::FilesContainerRemovePath {
        url: "safe://mysite/a.txt".into(),
        recursive: false,
        update_nrs: true,
    };
    let v4 = container(sim.run(op)).expect("remove with update_nrs");
    assert_eq!(nrs_link(&mut sim, "mysite"), v4.url);
    assert!(!get(&mut sim, "safe://mysite").expect("get").files_map.contains_key("/a.txt"));
}

// ---- unreadable files ---------------------------------------------------------------------

/// A source whose reads fail, as a local file that vanished.
struct Broken;

impl ByteSource for Broken {
    fn size(&self) -> u64 {
        10_000
    }

    fn read(&mut self, _max: usize) -> Result<Bytes, String> {
        Err("permission denied".into())
    }
}

#[test]
fn a_file_that_cannot_be_read_is_failed_and_left_out() {
    let mut sim = Sim::new(3);
    sim.connect();
    let broken = LocalItem { kind: LocalKind::File(Source::new(Broken)), ..file("bad.txt", b"") };
    let items = vec![dir(""), file("a.txt", b"alpha"), broken, file("z.txt", b"zulu")];
    let created = create_from(&mut sim, "site/", items, None);
    assert!(
        failed_with(created.processed.get("site/bad.txt"), "permission denied"),
        "{:?}",
        created.processed
    );
    let keys: Vec<&str> = created.files_map.keys().map(String::as_str).collect();
    assert_eq!(keys, ["/a.txt", "/z.txt"]);
    assert_eq!(entries_on_nodes(&sim, &created.url), 1);
}

/// A data-map chunk (the client's format: magic, then self_encryption's bincode `DataMap`)
/// declaring `pieces` full pieces at addresses nobody holds: a file that claims to be large.
fn claimed_large_file_map(pieces: usize) -> Vec<u8> {
    const PIECE: u64 = 1_044_480;
    let mut map = b"safe-wasi:dmap:1".to_vec();
    map.push(1); // the map's format version
    map.extend_from_slice(&(pieces as u64).to_le_bytes());
    for i in 0..pieces {
        map.extend_from_slice(&(i as u64).to_le_bytes());
        map.extend_from_slice(&XorName::from_content(format!("held by nobody {i}").as_bytes()).0);
        map.extend_from_slice(&[i as u8; 32]);
        map.extend_from_slice(&PIECE.to_le_bytes());
    }
    map.push(0); // no child level
    map
}

#[test]
fn a_version_linking_to_a_huge_files_map_is_refused_before_it_is_downloaded() {
    let mut sim = Sim::new(3);
    sim.connect();
    let c = create_from(&mut sim, "site/", vec![dir(""), file("a.txt", b"one")], None);
    // The owner (anyone with the key) writes a version whose "FilesMap" is a 70 MB file.
    let map = Bytes::from(claimed_large_file_map(70));
    let address = XorName::from_content(&map);
    for i in sim.holders(&address) {
        sim.nodes[i].store.insert(address, map.clone());
    }
    let huge =
        SafeUrl::new_xorurl(address, 0, ContentType::Raw, DataType::File, XorUrlBase::Base32z)
            .expect("url")
            .to_string();
    let written = sim.run(Operation::RegisterWrite {
        url: at(&c.url, ""),
        entry: Bytes::from(huge.into_bytes()),
        parents: None,
    });
    assert!(matches!(written, Ok(Output::EntryHash(_))), "{written:?}");

    let err = get(&mut sim, &at(&c.url, "")).expect_err("the map is too large");

    // Refused by its declared size: had the client tried to download it, the chunks nobody
    // holds would have made it NotFound.
    assert_eq!(err.code, ErrorCode::Protocol, "{err}");
    assert!(err.message.contains("more than") && err.message.contains("bytes"), "{err}");
    // The older version still reads.
    assert_eq!(get(&mut sim, &c.url).expect("v1").files_map, c.files_map);
}
