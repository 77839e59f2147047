//! Networks of in-process nodes on loopback: joining through one bootstrap, failure detection,
//! rejoining after a restart, and re-replication after a holder is lost.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use bytes::Bytes;
use common::{wait_for, within, Client, TestNetwork, CALM, PATIENCE};
use safe_node::{StatusFile, MEMBERSHIP_FILE, STATUS_FILE};
use safe_types::wire::{Request, Response};
use safe_types::{Chunk, XorName};

/// Failure timeout of the tests that kill nodes.
const FAILURE_TIMEOUT: Duration = Duration::from_secs(3);

fn chunk_file(root: &std::path::Path, address: &XorName) -> std::path::PathBuf {
    let name = hex::encode(address.0);
    root.join("chunks").join(&name[..2]).join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn six_nodes_join_through_one_bootstrap_and_all_see_all() {
    within(async {
        let network = TestNetwork::start(6, 3, false, CALM).await;
        let mut ids: Vec<XorName> = network.live().map(|n| n.info().id).collect();
        ids.sort();
        let client = Client::new();
        for node in network.live() {
            // Over the wire, from any node: the whole network, with the genesis node's settings.
            match client.ask(&node.info(), &Request::NetworkMap).await {
                Response::NetworkMap(map) => {
                    let mut listed: Vec<XorName> = map.nodes.iter().map(|n| n.id).collect();
                    listed.sort();
                    assert_eq!(listed, ids);
                    assert_eq!(map.replication_factor, 3, "joiners adopt the network's settings");
                    assert!(map.nodes.iter().all(|n| n.is_consistent()));
                }
                other => panic!("expected a network map, got {other:?}"),
            }
            match client.ask(&node.info(), &Request::Status).await {
                Response::Status(status) => {
                    assert_eq!(status.info, node.info());
                    assert_eq!(status.members, 6);
                }
                other => panic!("expected a status, got {other:?}"),
            }
            assert!(node.root().join(MEMBERSHIP_FILE).is_file());
        }
        // status.json catches up with the membership.
        for node in network.live() {
            let path = node.root().join(STATUS_FILE);
            let status: StatusFile = wait_for("status.json lists 6 members", PATIENCE, || {
                let status = std::fs::read(&path)
                    .ok()
                    .and_then(|bytes| serde_json::from_slice::<StatusFile>(&bytes).ok())
                    .filter(|s| s.members == 6);
                async move { status }
            })
            .await;
            assert_eq!(status.id, hex::encode(node.info().id.0));
            assert_eq!(status.addr, node.info().addr);
            assert_eq!(status.pid, std::process::id());
        }
        network.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_is_marked_gone_and_a_restarted_one_rejoins_with_its_chunks() {
    within(async {
        let mut network = TestNetwork::start(4, 4, false, FAILURE_TIMEOUT).await;
        let client = Client::new();
        let content = Bytes::from_static(b"kept across a restart");
        let address = Chunk::new(content.clone()).expect("chunk").address();
        let victim = network.node(2).info();
        let put = Request::PutChunk { content: content.clone() };
        assert_eq!(client.ask(&victim, &put).await, Response::Stored { address });

        network.kill(2);
        // Detection takes the failure timeout, plus a gossip round or two to spread.
        wait_for(
            "every live node marks the killed node as gone",
            FAILURE_TIMEOUT * 4 + PATIENCE,
            || {
                let gone = network.live().all(|n| n.network_map().get(&victim.id).is_none());
                async move { gone.then_some(()) }
            },
        )
        .await;
        network.wait_until_all_see(3).await;

        network.restart(2).await;
        let back = network.node(2).info();
        assert_eq!(back, victim, "same root, same id, same address");
        network.wait_until_all_see(4).await;
        assert_eq!(
            client.ask(&back, &Request::GetChunk { address }).await,
            Response::Chunk { content }
        );
        network.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_are_copied_to_the_new_closest_node_when_a_holder_is_lost() {
    within(async {
        let mut network = TestNetwork::start(6, 3, false, FAILURE_TIMEOUT).await;
        let client = Client::new();
        let content = Bytes::from_static(b"replicate me");
        let address = Chunk::new(content.clone()).expect("chunk").address();
        let holders = network.holders(&address);
        assert_eq!(holders.len(), 3);
        for holder in &holders {
            let put = Request::PutChunk { content: content.clone() };
            assert_eq!(client.ask(holder, &put).await, Response::Stored { address });
        }
        let copies = |network: &TestNetwork| -> BTreeSet<XorName> {
            network
                .live()
                .filter(|n| chunk_file(n.root(), &address).is_file())
                .map(|n| n.info().id)
                .collect()
        };
        let holder_ids: BTreeSet<XorName> = holders.iter().map(|h| h.id).collect();
        assert_eq!(copies(&network), holder_ids, "stored on exactly its holders");

        // Kill the closest holder; the 4th closest becomes a holder.
        let lost = holders[0].id;
        let index = network
            .nodes
            .iter()
            .position(|n| n.as_ref().is_some_and(|n| n.info().id == lost))
            .expect("holder is one of the nodes");
        network.kill(index);
        network.wait_until_all_see(5).await;
        let new_holders: BTreeSet<XorName> =
            network.holders(&address).iter().map(|h| h.id).collect();
        let newcomer: Vec<&XorName> = new_holders.difference(&holder_ids).collect();
        assert_eq!(newcomer.len(), 1, "one new holder");
        let newcomer = *newcomer[0];
        wait_for("the new holder has a copy", PATIENCE, || {
            let copied = chunk_file(network.by_id(&newcomer).root(), &address).is_file();
            async move { copied.then_some(()) }
        })
        .await;
        let found = copies(&network);
        assert!(new_holders.is_subset(&found), "{} live copies, on every holder", found.len());
        // And it is served, checked against its address.
        let fetched =
            client.ask(&network.by_id(&newcomer).info(), &Request::GetChunk { address }).await;
        assert_eq!(fetched, Response::Chunk { content });
        network.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_network_restarted_at_once_comes_back_together() {
    within(async {
        let mut network = TestNetwork::start(4, 3, false, FAILURE_TIMEOUT).await;
        let client = Client::new();
        let content = Bytes::from_static(b"survives a full restart");
        let address = Chunk::new(content.clone()).expect("chunk").address();
        let holders = network.holders(&address);
        for holder in &holders {
            let put = Request::PutChunk { content: content.clone() };
            assert_eq!(client.ask(holder, &put).await, Response::Stored { address });
        }
        let before: Vec<_> = network.live().map(|n| n.info()).collect();

        network.restart_all().await;
        let after: Vec<_> = network.live().map(|n| n.info()).collect();
        assert_eq!(after, before, "same ids at the same addresses");
        network.wait_until_all_see(4).await;
        for holder in &holders {
            let fetched = client.ask(holder, &Request::GetChunk { address }).await;
            assert_eq!(fetched, Response::Chunk { content: content.clone() });
        }
        network.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replicated_put_reaches_every_holder_with_a_receipt_from_each_of_a_majority() {
    within(async {
        let network = TestNetwork::start(5, 3, false, CALM).await;
        let client = Client::new();
        let content = Bytes::from(vec![0x5a; 200_000]);
        let address = Chunk::new(content.clone()).expect("chunk").address();
        let holders = network.holders(&address);
        assert_eq!(holders.len(), 3);

        let answer =
            client.ask(&holders[0], &Request::ReplicateChunk { content: content.clone() }).await;
        let Response::Replicated { address: answered, receipts } = answer else {
            panic!("expected Replicated, got {answer:?}");
        };
        assert_eq!(answered, address);
        // At least a majority of the holders signed; every receipt is a holder's own signature.
        assert!(receipts.len() >= 2, "{receipts:?}");
        assert_eq!(receipts[0].node, holders[0].id, "the node that was asked signs first");
        for receipt in &receipts {
            assert!(holders.iter().any(|h| receipt.is_from(h, &address)), "{receipt:?}");
        }
        // The last holder gets its copy too, in the background, without the client.
        wait_for("every holder has the chunk", PATIENCE, || {
            let all =
                holders.iter().all(|h| chunk_file(network.by_id(&h.id).root(), &address).is_file());
            async move { all.then_some(()) }
        })
        .await;
        for node in network.live().filter(|n| !holders.iter().any(|h| h.id == n.info().id)) {
            assert!(!chunk_file(node.root(), &address).is_file(), "only holders have it");
        }

        // A client may not make a node sign for a copy it never had to forward.
        let held = client.ask(&holders[1], &Request::HoldChunk { content }).await;
        assert!(
            matches!(&held, Response::Error(e) if e.kind == safe_types::wire::ErrorKind::Forbidden),
            "{held:?}"
        );
        network.shutdown().await;
    })
    .await;
}
