//! The dry runner ([`Config::dry_run`]): stores give the very XOR-URL a real store gives, with no
//! network at all; container operations give the links and FilesMap the real ones give, reading
//! the container but writing neither chunks nor versions; NRS and register writes are not sent.
//!
//! A dry client and a real one (same seed, so the same key pair) take turns on one [`Sim`]
//! ([`Sim::replace_client`]), so the dry one reads what the real one wrote.

mod harness;

use std::collections::BTreeMap;

use bytes::Bytes;
use harness::local::{dir, file};
use harness::{noise, Sim, SimConfig};
use safe_client::safe_types::{ContentType, DataType, SafeUrl};
use safe_client::{
    Client, Config, ContainerResult, Error, ErrorCode, LocalItems, Operation, Output, Source,
};

const MIB: usize = 1024 * 1024;

fn dry_config() -> Config {
    Config { dry_run: true, ..SimConfig::default().client }
}

/// A network of `n` nodes whose client is a dry runner.
fn dry_sim(n: usize) -> Sim {
    Sim::with(SimConfig { client: dry_config(), ..SimConfig::nodes(n) })
}

fn chunks_held(sim: &Sim) -> usize {
    sim.nodes.iter().map(|n| n.store.len()).sum()
}

fn register_entries_held(sim: &Sim) -> usize {
    sim.nodes.iter().flat_map(|n| n.registers.values()).map(|r| r.len()).sum()
}

fn registers_held(sim: &Sim) -> usize {
    sim.nodes.iter().map(|n| n.registers.len()).sum()
}

fn store_file(sim: &mut Sim, data: &[u8], media_type: Option<&str>) -> Result<String, Error> {
    let op = Operation::StoreFile {
        source: Source::from_bytes(Bytes::copy_from_slice(data)),
        media_type: media_type.map(str::to_owned),
    };
    sim.run(op).map(|out| match out {
        Output::Stored(url) => url,
        other => panic!("store_file gave {other:?}"),
    })
}

// ---- files --------------------------------------------------------------------------------

#[test]
fn a_dry_store_gives_the_url_of_the_real_store_and_needs_no_network() {
    let sizes = [0, 1, 2, 3, 1024, MIB + 1, 3 * MIB + 7];
    let mut dry = dry_sim(3);
    let mut real = Sim::new(3);
    real.connect();
    for (seed, len) in sizes.into_iter().enumerate() {
        let data = noise(len, seed as u64);
        let media = (seed % 2 == 0).then_some("text/html");
        // Never connected: a dry store needs no network map.
        let dry_bytes = dry.try_store(&data, media).expect("a dry store_bytes");
        let dry_file = store_file(&mut dry, &data, media).expect("a dry store_file");
        let stored = real.store(&data, media);
        assert_eq!(dry_bytes, stored, "{len} bytes");
        assert_eq!(dry_file, stored, "{len} bytes, from a source");
        assert_eq!(&real.get(&stored, None).expect("read back")[..], &data[..]);
    }
    assert_eq!(dry.stats.sent, 0, "a dry client that never connected sends nothing");
    assert_eq!(chunks_held(&dry), 0);

    // A client that is not a dry runner needs the connection for the same store.
    let mut offline = Sim::new(1);
    let refused = offline.try_store(b"abc", None).expect_err("needs connect");
    assert_eq!(refused.code, ErrorCode::NotConnected);
}

#[test]
fn a_connected_dry_runner_stores_nothing_and_its_url_is_not_found() {
    let mut sim = dry_sim(3);
    sim.connect();
    let data = noise(2 * MIB, 9);
    let url = sim.store(&data, None);
    let small = sim.store(b"hi", None);
    assert_eq!(chunks_held(&sim), 0, "no chunk reached a node");
    for url in [url, small] {
        let error = sim.get(&url, None).expect_err("nothing was stored");
        assert_eq!(error.code, ErrorCode::NotFound, "{url}: {error:?}");
    }
}

// ---- containers ---------------------------------------------------------------------------

fn site() -> LocalItems {
    LocalItems {
        location: "my site/".into(),
        items: vec![
            dir(""),
            file("index.html", b"<h1>hello</h1>"),
            dir("img"),
            file("img/big photo.png", &noise(MIB + 100, 3)),
            file("notes", b"plain notes"),
        ],
    }
}

fn container(out: Result<Output, Error>) -> ContainerResult {
    match out {
        Ok(Output::Container(c)) => c,
        other => panic!("a container operation gave {other:?}"),
    }
}

/// Each path of a FilesMap and its link (none for folders): what must not depend on the time.
fn links(c: &ContainerResult) -> BTreeMap<String, Option<String>> {
    c.files_map.iter().map(|(path, info)| (path.clone(), info.get("link").cloned())).collect()
}

/// Runs `op` on a dry client in place of the real one, then puts the real one back.
fn dry_run(sim: &mut Sim, op: Operation) -> Result<Output, Error> {
    let real: Client = sim.replace_client(dry_config());
    // The dry client connects as a reader would (a no-op for those that need no map).
    sim.connect();
    let out = sim.run(op);
    sim.swap_client(real);
    out
}

/// A change to make dry, then for real: its name, and how to make its operation each time.
type Change<'a> = (&'static str, Box<dyn Fn() -> Operation + 'a>);

#[test]
fn dry_container_operations_give_the_real_links_and_write_nothing() {
    let mut sim = dry_sim(3);
    // create_from: no network needed at all.
    let dry = container(sim.run(Operation::FilesContainerCreateFrom { local: site(), dst: None }));
    assert_eq!(sim.stats.sent, 0, "a dry create_from sends nothing");
    let url = SafeUrl::parse(&dry.url).expect("a URL");
    assert_eq!(url.data_type(), DataType::Register);
    assert_eq!(*url.content_type(), ContentType::FilesContainer);
    assert!(url.content_version().is_some(), "versioned: {}", dry.url);
    assert!(dry.version.is_some());

    // The real one, by a real client with the same key.
    sim.replace_client(SimConfig::default().client);
    sim.connect();
    let real = container(sim.run(Operation::FilesContainerCreateFrom { local: site(), dst: None }));
    assert_eq!(links(&dry), links(&real));
    assert_eq!(dry.processed, real.processed);
    assert_eq!(dry.processed.len(), 4, "three files and a folder");
    let mut base = SafeUrl::parse(&real.url).expect("url");
    base.set_content_version(None);
    let base = base.to_string();

    // Every change, dry first: the same processed files and links, and nothing written.
    let changes: Vec<Change<'_>> = vec![
        (
            "add_from_raw",
            Box::new(|| Operation::FilesContainerAddFromRaw {
                data: Bytes::from_static(b"new file"),
                url: format!("{base}/docs/new.txt"),
                force: false,
                update_nrs: false,
            }),
        ),
        (
            "add",
            Box::new(|| Operation::FilesContainerAdd {
                local: LocalItems {
                    location: "a b.txt".into(),
                    items: vec![file("", &noise(5000, 4))],
                },
                url: format!("{base}/docs/"),
                force: false,
                update_nrs: false,
            }),
        ),
        (
            "sync",
            Box::new(|| {
                let mut local = site();
                local.items.retain(|i| i.path != "notes");
                local.items.push(file("index.html", b"<h1>changed</h1>"));
                local.items.remove(1);
                Operation::FilesContainerSync {
                    local,
                    url: format!("{base}/"),
                    delete: true,
                    update_nrs: false,
                }
            }),
        ),
        (
            "remove_path",
            Box::new(|| Operation::FilesContainerRemovePath {
                url: format!("{base}/img"),
                recursive: true,
                update_nrs: false,
            }),
        ),
    ];
    for (what, op) in changes {
        let (chunks, entries) = (chunks_held(&sim), register_entries_held(&sim));
        let dry = container(dry_run(&mut sim, op()));
        assert_eq!(chunks_held(&sim), chunks, "{what}: a dry run stores no chunk");
        assert_eq!(register_entries_held(&sim), entries, "{what}: a dry run writes no version");
        let version = dry.version.clone().expect("a dry change has the version it would write");
        let missing = container(sim.run(Operation::FilesContainerGet { url: base.clone() }));
        assert_ne!(missing.version.as_deref(), Some(version.as_str()), "{what}");
        let at_dry = sim.run(Operation::FilesContainerGet { url: dry.url.clone() });
        assert_eq!(at_dry.expect_err("no such version").code, ErrorCode::NotFound, "{what}");

        let real = container(sim.run(op()));
        assert!(!real.processed.is_empty(), "{what}: the change does something");
        assert_eq!(dry.processed, real.processed, "{what}");
        assert_eq!(links(&dry), links(&real), "{what}");
    }
}

// ---- registers and NRS --------------------------------------------------------------------

#[test]
fn dry_register_and_nrs_writes_are_not_sent() {
    let mut sim = dry_sim(3);
    let register =
        match sim.run(Operation::RegisterCreate { name: None, tag: 1200, content_type: None }) {
            Ok(Output::Url(url)) => url,
            other => panic!("register_create gave {other:?}"),
        };
    assert_eq!(sim.stats.sent, 0, "a dry register creation needs no network");
    sim.connect();
    match sim.run(Operation::NrsCreate { top_name: "drysite".into() }) {
        Ok(Output::Url(url)) => assert!(url.starts_with("safe://drysite"), "{url}"),
        other => panic!("nrs_create gave {other:?}"),
    }
    match sim.run(Operation::NrsAdd { name: "blog.drysite".into(), link: sim_file_link() }) {
        Ok(Output::NrsAdded { created_top_name, .. }) => assert!(created_top_name),
        other => panic!("nrs_add gave {other:?}"),
    }
    assert_eq!(registers_held(&sim), 0, "no register was created");
    let read = sim.run(Operation::RegisterRead { url: register });
    assert_eq!(read.expect_err("never created").code, ErrorCode::NotFound);
    let name = sim.run(Operation::NrsGet { name: "drysite".into(), version: None });
    assert_eq!(name.expect_err("never created").code, ErrorCode::NotFound);
}

fn sim_file_link() -> String {
    SafeUrl::new_xorurl(
        safe_client::safe_types::XorName::from_content(b"x"),
        0,
        ContentType::Raw,
        DataType::File,
        safe_client::safe_types::XorUrlBase::Base32z,
    )
    .expect("url")
    .to_string()
}
