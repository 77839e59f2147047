//! Registers, keys and test coins through the client core against in-memory nodes: what the
//! client signs, how it merges what holders return, majorities, and its retries. (Node-side
//! coordination of transfers is tested in the node crate and end to end.)

mod harness;

use bytes::Bytes;
use harness::Sim;
use safe_client::safe_types::account::Amount;
use safe_client::safe_types::keys::{Keypair, PublicKey};
use safe_client::safe_types::register::RegisterAddress;
use safe_client::safe_types::{DataType, SafeUrl, XorName};
use safe_client::{ErrorCode, KeypairInfo, Operation, Output, RegisterEntry};

fn create(sim: &mut Sim, tag: u64) -> String {
    match sim.run(Operation::RegisterCreate { name: None, tag, content_type: None }) {
        Ok(Output::Url(url)) => url,
        other => panic!("register create: {other:?}"),
    }
}

fn write(
    sim: &mut Sim,
    url: &str,
    entry: &str,
    parents: Option<Vec<String>>,
) -> Result<String, safe_client::Error> {
    let op = Operation::RegisterWrite {
        url: url.into(),
        entry: Bytes::copy_from_slice(entry.as_bytes()),
        parents,
    };
    sim.run(op).map(|o| match o {
        Output::EntryHash(h) => h,
        other => panic!("register write gave {other:?}"),
    })
}

fn read(sim: &mut Sim, url: &str) -> Vec<RegisterEntry> {
    match sim.run(Operation::RegisterRead { url: url.into() }) {
        Ok(Output::Entries(mut e)) => {
            e.sort_by(|a, b| a.entry.cmp(&b.entry));
            e
        }
        other => panic!("register read: {other:?}"),
    }
}

fn address(url: &str) -> RegisterAddress {
    let parsed = SafeUrl::parse(url).expect("url");
    RegisterAddress { name: parsed.xorname(), tag: parsed.type_tag() }
}

#[test]
fn a_register_is_created_on_its_holders_and_written_and_read_back() {
    let mut sim = Sim::new(5);
    sim.connect();
    let url = create(&mut sim, 1100);
    let parsed = SafeUrl::parse(&url).expect("url");
    assert_eq!(parsed.data_type(), DataType::Register);
    assert_eq!(parsed.type_tag(), 1100);
    let addr = address(&url);
    let holders = sim.holders(&addr.xorname());
    for (i, node) in sim.nodes.iter().enumerate() {
        assert_eq!(node.registers.contains_key(&addr), holders.contains(&i), "node {i}");
    }

    let a = write(&mut sim, &url, "one", None).expect("first write");
    let b = write(&mut sim, &url, "two", None).expect("second write");
    let entries = read(&mut sim, &url);
    assert_eq!(entries.len(), 1, "the second write superseded the first");
    assert_eq!(entries[0].hash, b);
    assert_eq!(&entries[0].entry[..], b"two");
    // The first entry is still there, by its hash.
    match sim.run(Operation::RegisterReadEntry { url: url.clone(), hash: a }) {
        Ok(Output::Entry(e)) => assert_eq!(&e[..], b"one"),
        other => panic!("read entry: {other:?}"),
    }
}

#[test]
fn concurrent_writes_with_the_same_parent_show_as_two_heads_until_merged() {
    let mut sim = Sim::new(3);
    sim.connect();
    let url = create(&mut sim, 7);
    let root = write(&mut sim, &url, "root", None).expect("root");
    let left = write(&mut sim, &url, "left", Some(vec![root.clone()])).expect("left");
    let right = write(&mut sim, &url, "right", Some(vec![root])).expect("right");
    let heads: Vec<String> = read(&mut sim, &url).into_iter().map(|e| e.hash).collect();
    assert_eq!(heads.len(), 2);
    assert!(heads.contains(&left) && heads.contains(&right));
    // A write with the default parents supersedes both.
    let merge = write(&mut sim, &url, "merge", None).expect("merge");
    let heads = read(&mut sim, &url);
    assert_eq!(heads.len(), 1);
    assert_eq!(heads[0].hash, merge);
}

#[test]
fn a_read_merges_replicas_that_each_miss_a_write() {
    let mut sim = Sim::new(4);
    sim.connect();
    let url = create(&mut sim, 9);
    let addr = address(&url);
    let holders = sim.holders(&addr.xorname());
    let root = write(&mut sim, &url, "root", None).expect("root");
    sim.run_until_idle();
    let only_root = sim.nodes[holders[0]].registers[&addr].clone();
    // y lands everywhere; keep a replica with it, then roll every holder back to the root.
    let y = write(&mut sim, &url, "y", Some(vec![root.clone()])).expect("y");
    sim.run_until_idle();
    let with_y = sim.nodes[holders[0]].registers[&addr].clone();
    for &h in &holders {
        sim.nodes[h].registers.insert(addr, only_root.clone());
    }
    // x lands everywhere; then one holder goes back to the replica that has y but not x.
    let x = write(&mut sim, &url, "x", Some(vec![root])).expect("x");
    sim.run_until_idle();
    sim.nodes[holders[0]].registers.insert(addr, with_y);
    // The last holder is silent, so the read's majority must include the holder with y.
    sim.nodes[holders[3]].behaviour.silent = true;
    let heads: Vec<String> = read(&mut sim, &url).into_iter().map(|e| e.hash).collect();
    assert_eq!(heads.len(), 2, "{heads:?}");
    assert!(heads.contains(&x) && heads.contains(&y), "{heads:?}");
}

#[test]
fn only_the_owner_writes_and_another_key_is_told_so() {
    let mut sim = Sim::new(3);
    sim.connect();
    let url = create(&mut sim, 1);
    write(&mut sim, &url, "mine", None).expect("owner writes");
    let owner = match sim.run(Operation::GetKeypair) {
        Ok(Output::Keypair(k)) => k,
        other => panic!("{other:?}"),
    };
    let other = match sim.run(Operation::NewKeypair) {
        Ok(Output::Keypair(k)) => k,
        other => panic!("{other:?}"),
    };
    assert_ne!(owner.public_key, other.public_key);
    sim.run(Operation::SetKeypair { secret_key: other.secret_key.clone() }).expect("set keypair");
    // With the default parents the client sees the owner first and refuses locally...
    let err = write(&mut sim, &url, "not mine", None).expect_err("not the owner");
    assert_eq!(err.code, ErrorCode::NotOwner, "{err}");
    assert!(err.message.contains(&owner.public_key), "{err}");
    // ...and with explicit parents every node refuses the signature.
    let head = read(&mut sim, &url)[0].hash.clone();
    let err = write(&mut sim, &url, "not mine", Some(vec![head])).expect_err("not the owner");
    assert_eq!(err.code, ErrorCode::NotOwner, "{err}");
    assert_eq!(read(&mut sim, &url).len(), 1);
    // The owner's key works again.
    sim.run(Operation::SetKeypair { secret_key: owner.secret_key }).expect("set keypair");
    write(&mut sim, &url, "mine again", None).expect("owner writes");
}

#[test]
fn register_arguments_are_checked_at_start() {
    let mut sim = Sim::new(1);
    sim.connect();
    let url = create(&mut sim, 1);
    let big = Operation::RegisterWrite {
        url: url.clone(),
        entry: Bytes::from(vec![0u8; 1025]),
        parents: None,
    };
    let id = sim.start(big).expect("size is checked when the operation runs");
    assert_eq!(
        sim.run_until_complete(id).result.expect_err("too big").code,
        ErrorCode::InvalidArgument
    );
    for bad in [
        Operation::RegisterRead { url: "safe://not a url".into() },
        Operation::RegisterReadEntry { url: url.clone(), hash: "xyz".into() },
        Operation::RegisterWrite {
            url: url.clone(),
            entry: Bytes::new(),
            parents: Some(vec!["00".into()]),
        },
        Operation::SetKeypair { secret_key: "short".into() },
    ] {
        let err = sim.start(bad).expect_err("refused at start");
        assert!(matches!(err.code, ErrorCode::InvalidArgument | ErrorCode::InvalidUrl), "{err}");
    }
    let file_url = sim.store(b"a file", None);
    let err = sim.start(Operation::RegisterRead { url: file_url }).expect_err("not a register");
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    let missing = SafeUrl::new_xorurl(
        XorName([3; 32]),
        5,
        safe_client::safe_types::ContentType::Raw,
        DataType::Register,
        Default::default(),
    )
    .expect("url");
    let err =
        sim.run(Operation::RegisterRead { url: missing.to_string() }).expect_err("none there");
    assert_eq!(err.code, ErrorCode::NotFound);
}

fn preload(sim: &mut Sim, amount: &str) -> (String, KeypairInfo) {
    match sim.run(Operation::KeysCreatePreloadTestCoins { amount: amount.into() }) {
        Ok(Output::KeyCreated { url, keypair }) => (url, keypair),
        other => panic!("preload: {other:?}"),
    }
}

fn balance(sim: &mut Sim, secret: &str) -> String {
    match sim.run(Operation::KeysBalance { secret_key: secret.into() }) {
        Ok(Output::Balance(b)) => b,
        other => panic!("balance: {other:?}"),
    }
}

#[test]
fn the_faucet_preloads_a_new_key_whose_url_names_it() {
    let mut sim = Sim::new(4);
    sim.connect();
    let (url, kp) = preload(&mut sim, "9");
    let parsed = SafeUrl::parse(&url).expect("url");
    assert_eq!(parsed.data_type(), DataType::SafeKey);
    let key: PublicKey = kp.public_key.parse().expect("hex");
    assert_eq!(parsed.xorname(), key.xorname());
    assert_eq!(Keypair::from_secret_hex(&kp.secret_key).expect("hex").public_key(), key);
    assert_eq!(balance(&mut sim, &kp.secret_key), "9");
    // A key nobody paid has nothing.
    let empty = Keypair::from_secret_bytes(&[42; 32]);
    assert_eq!(balance(&mut sim, &hex_of(&empty)), "0");
}

fn hex_of(k: &Keypair) -> String {
    k.secret_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_network_without_a_faucet_says_so() {
    let mut sim = Sim::new(3);
    for n in &mut sim.nodes {
        n.faucet = false;
    }
    sim.connect();
    let err = sim
        .run(Operation::KeysCreatePreloadTestCoins { amount: "1".into() })
        .expect_err("no faucet");
    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
    assert!(err.message.contains("faucet"), "{err}");
}

#[test]
fn a_transfer_moves_coins_and_a_second_spend_of_them_fails() {
    let mut sim = Sim::new(1);
    sim.connect();
    let (_, alice) = preload(&mut sim, "5");
    let (bob_url, bob) = preload(&mut sim, "1");
    let (carol_url, _) = preload(&mut sim, "0.5");
    let id = match sim.run(Operation::KeysTransfer {
        amount: "4.5".into(),
        from_secret_key: alice.secret_key.clone(),
        to_url: bob_url,
    }) {
        Ok(Output::TransferId(id)) => id,
        other => panic!("transfer: {other:?}"),
    };
    assert_eq!(id.len(), 64);
    assert_eq!(balance(&mut sim, &alice.secret_key), "0.5");
    assert_eq!(balance(&mut sim, &bob.secret_key), "5.5");
    let err = sim
        .run(Operation::KeysTransfer {
            amount: "4.5".into(),
            from_secret_key: alice.secret_key.clone(),
            to_url: carol_url,
        })
        .expect_err("spent already");
    assert_eq!(err.code, ErrorCode::InsufficientBalance, "{err}");
    assert_eq!(balance(&mut sim, &alice.secret_key), "0.5");
}

#[test]
fn concurrent_transfers_from_one_key_retry_with_the_next_nonce() {
    let mut sim = Sim::new(1);
    sim.connect();
    let (_, alice) = preload(&mut sim, "3");
    let (bob_url, bob) = preload(&mut sim, "0.000000001");
    let ids: Vec<_> = (0..3)
        .map(|_| {
            sim.start(Operation::KeysTransfer {
                amount: "1".into(),
                from_secret_key: alice.secret_key.clone(),
                to_url: bob_url.clone(),
            })
            .expect("start")
        })
        .collect();
    for id in ids {
        let done = sim.run_until_complete(id);
        assert!(matches!(done.result, Ok(Output::TransferId(_))), "{:?}", done.result);
    }
    assert_eq!(balance(&mut sim, &alice.secret_key), "0");
    assert_eq!(balance(&mut sim, &bob.secret_key), "3.000000001");
}

#[test]
fn key_and_amount_arguments_are_checked_at_start() {
    let mut sim = Sim::new(1);
    sim.connect();
    let (url, kp) = preload(&mut sim, "1");
    for bad in [
        Operation::KeysCreatePreloadTestCoins { amount: "-1".into() },
        Operation::KeysCreatePreloadTestCoins { amount: "1.0000000001".into() },
        Operation::KeysBalance { secret_key: "nothex".into() },
        Operation::KeysTransfer {
            amount: "1".into(),
            from_secret_key: kp.secret_key.clone(),
            to_url: "safe://x y".into(),
        },
        Operation::KeysCreateAndPreload { amount: "1".into(), from_secret_key: Some("00".into()) },
    ] {
        let err = sim.start(bad).expect_err("refused at start");
        assert!(matches!(err.code, ErrorCode::InvalidArgument | ErrorCode::InvalidUrl), "{err}");
    }
    // A transfer to a file's URL, or to oneself, is refused.
    let file = sim.store(b"file", None);
    let err = sim
        .start(Operation::KeysTransfer {
            amount: "1".into(),
            from_secret_key: kp.secret_key.clone(),
            to_url: file,
        })
        .expect_err("not a key");
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    let err = sim
        .run(Operation::KeysTransfer {
            amount: "1".into(),
            from_secret_key: kp.secret_key.clone(),
            to_url: url,
        })
        .expect_err("to oneself");
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    assert_eq!(Amount(1).to_string(), "0.000000001");
}

#[test]
fn create_and_preload_pays_from_the_given_key() {
    let mut sim = Sim::new(1);
    sim.connect();
    let (_, alice) = preload(&mut sim, "2");
    let (url, new) = match sim.run(Operation::KeysCreateAndPreload {
        amount: "1.25".into(),
        from_secret_key: Some(alice.secret_key.clone()),
    }) {
        Ok(Output::KeyCreated { url, keypair }) => (url, keypair),
        other => panic!("{other:?}"),
    };
    assert!(url.starts_with("safe://"));
    assert_eq!(balance(&mut sim, &new.secret_key), "1.25");
    assert_eq!(balance(&mut sim, &alice.secret_key), "0.75");
}
