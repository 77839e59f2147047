//! Registers and test-coin accounts across a network of in-process nodes: writes checked against
//! the owner's key by every holder, concurrent writes merged into one DAG, faucet credits,
//! transfers that update a majority of holders, and double spends that cannot both succeed.

mod common;

use std::collections::BTreeSet;

use bytes::Bytes;
use common::{error_kind, start_node, wait_for, within, Client, TestNetwork, CALM, PATIENCE};
use safe_types::account::{Amount, SignedTransfer, Transfer, TransferId, NANOS_PER_COIN};
use safe_types::keys::{Keypair, PublicKey};
use safe_types::register::{Entry, EntryHash, RegisterAddress, RegisterCreate, SignedEntry};
use safe_types::wire::{ErrorKind, Request, Response};
use safe_types::{NodeInfo, XorName};

fn entry(content: &str, parents: &[EntryHash]) -> Entry {
    Entry {
        content: Bytes::copy_from_slice(content.as_bytes()),
        parents: parents.iter().copied().collect(),
    }
}

async fn write(
    client: &Client,
    node: &NodeInfo,
    address: RegisterAddress,
    signed: SignedEntry,
) -> Response {
    client.ask(node, &Request::WriteRegister { address, entry: signed }).await
}

/// The heads of the register at `address` on `node`, if it has it.
async fn heads(
    client: &Client,
    node: &NodeInfo,
    address: RegisterAddress,
) -> Option<BTreeSet<EntryHash>> {
    match client.ask(node, &Request::GetRegister { address }).await {
        Response::Register(register) => {
            Some(register.heads().into_iter().map(|(h, _)| h).collect())
        }
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_are_written_checked_and_merged_across_holders() {
    within(async {
        let network = TestNetwork::start(5, 3, false, CALM).await;
        let client = Client::new();
        let owner = Keypair::from_secret_bytes(&[31; 32]);
        let mallory = Keypair::from_secret_bytes(&[32; 32]);
        let address = RegisterAddress { name: XorName([33; 32]), tag: 1100 };
        let holders = network.holders(&address.xorname());
        assert_eq!(holders.len(), 3);

        // Create on every holder; again is fine; another owner is a conflict.
        let create = Request::CreateRegister(RegisterCreate::new(address, &owner));
        for holder in &holders {
            assert_eq!(client.ask(holder, &create).await, Response::Done);
            assert_eq!(client.ask(holder, &create).await, Response::Done);
        }
        let hijack = Request::CreateRegister(RegisterCreate::new(address, &mallory));
        assert_eq!(error_kind(&client.ask(&holders[0], &hijack).await), ErrorKind::Conflict);

        // Written on one holder, read from every holder.
        let root_entry = SignedEntry::new(address, entry("root", &[]), &owner);
        let root = match write(&client, &holders[0], address, root_entry).await {
            Response::EntryWritten { hash } => hash,
            other => panic!("expected EntryWritten, got {other:?}"),
        };
        let expected: BTreeSet<EntryHash> = [root].into_iter().collect();
        for holder in &holders {
            let expected = expected.clone();
            wait_for("every holder has the root entry", PATIENCE, || async {
                (heads(&client, holder, address).await == Some(expected.clone())).then_some(())
            })
            .await;
        }

        // Writes signed by another key, or naming an unknown parent, are refused by every holder.
        let forged = SignedEntry::new(address, entry("evil", &[root]), &mallory);
        let orphan = SignedEntry::new(address, entry("orphan", &[EntryHash([9; 32])]), &owner);
        for holder in &holders {
            let answer = write(&client, holder, address, forged.clone()).await;
            assert_eq!(error_kind(&answer), ErrorKind::NotOwner);
            let answer = write(&client, holder, address, orphan.clone()).await;
            assert_eq!(error_kind(&answer), ErrorKind::InvalidRequest);
        }
        let elsewhere = RegisterAddress { name: XorName([34; 32]), tag: 1100 };
        let missing = SignedEntry::new(elsewhere, entry("x", &[]), &owner);
        assert_eq!(
            error_kind(&write(&client, &holders[0], elsewhere, missing).await),
            ErrorKind::NotFound
        );

        // Two writes with the same parent on two holders at once: one DAG with two heads.
        let x = SignedEntry::new(address, entry("x", &[root]), &owner);
        let y = SignedEntry::new(address, entry("y", &[root]), &owner);
        let (wx, wy) = futures::future::join(
            write(&client, &holders[1], address, x.clone()),
            write(&client, &holders[2], address, y.clone()),
        )
        .await;
        assert_eq!(wx, Response::EntryWritten { hash: x.entry.hash() });
        assert_eq!(wy, Response::EntryWritten { hash: y.entry.hash() });
        let both: BTreeSet<EntryHash> = [x.entry.hash(), y.entry.hash()].into_iter().collect();
        for holder in &holders {
            let both = both.clone();
            wait_for("every holder has both heads", PATIENCE, || async {
                (heads(&client, holder, address).await == Some(both.clone())).then_some(())
            })
            .await;
        }
        network.shutdown().await;
    })
    .await;
}

fn coins(n: u64) -> Amount {
    Amount(n * NANOS_PER_COIN)
}

fn pay(from: &Keypair, to: &Keypair, amount: Amount, nonce: u64) -> SignedTransfer {
    let reference = rand::random();
    SignedTransfer::new(
        Transfer { from: from.public_key(), to: to.public_key(), amount, nonce, reference },
        from,
    )
}

/// The balance of `owner` on each of its holders (`None` where there is no account).
async fn balances(network: &TestNetwork, client: &Client, owner: PublicKey) -> Vec<Option<Amount>> {
    let mut found = Vec::new();
    for holder in network.holders(&owner.xorname()) {
        found.push(match client.ask(&holder, &Request::GetAccount { owner }).await {
            Response::Account(account) => Some(account.balance().expect("balance")),
            Response::Error(e) if e.kind == ErrorKind::NotFound => None,
            other => panic!("expected an account, got {other:?}"),
        });
    }
    found
}

/// Whether a majority of `owner`'s holders report `expected`.
async fn majority_has(
    network: &TestNetwork,
    client: &Client,
    owner: PublicKey,
    expected: Amount,
) -> bool {
    let found = balances(network, client, owner).await;
    found.iter().filter(|b| **b == Some(expected)).count() * 2 > found.len()
}

/// The balance most of `owner`'s holders agree on (zero for no account).
async fn settled_balance(network: &TestNetwork, client: &Client, owner: PublicKey) -> Amount {
    let found = balances(network, client, owner).await;
    let total = found.len();
    for candidate in &found {
        if found.iter().filter(|b| *b == candidate).count() * 2 > total {
            return candidate.unwrap_or_default();
        }
    }
    panic!("no majority among {found:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faucet_and_transfers_keep_balances_on_a_majority_and_never_double_spend() {
    within(async {
        let network = TestNetwork::start(5, 3, true, CALM).await;
        let client = Client::new();
        let [alice, bob, carol, dave, mallory] =
            [41u8, 42, 43, 44, 45].map(|s| Keypair::from_secret_bytes(&[s; 32]));
        let anyone = network.node(0).info();

        // Test coins, credited once even when the request is retried.
        let faucet =
            Request::Faucet { to: alice.public_key(), amount: coins(10), id: TransferId([1; 32]) };
        for _ in 0..2 {
            assert_eq!(
                client.ask(&anyone, &faucet).await,
                Response::Transferred { id: TransferId([1; 32]) }
            );
        }
        assert!(majority_has(&network, &client, alice.public_key(), coins(10)).await);

        // A transfer sent to a node that is not the sender's primary is forwarded there.
        let alice_holders = network.holders(&alice.public_key().xorname());
        let primary = alice_holders[0].clone();
        let elsewhere =
            network.live().map(|n| n.info()).find(|n| n.id != primary.id).expect("another node");
        let first = pay(&alice, &bob, coins(3), 1);
        let answer = client.ask(&elsewhere, &Request::Transfer(first.clone())).await;
        assert_eq!(answer, Response::Transferred { id: first.id() });
        assert!(majority_has(&network, &client, alice.public_key(), coins(7)).await);
        assert!(majority_has(&network, &client, bob.public_key(), coins(3)).await);
        // Sending it again completes nothing twice.
        let answer = client.ask(&alice_holders[1], &Request::Transfer(first.clone())).await;
        assert_eq!(answer, Response::Transferred { id: first.id() });
        assert!(majority_has(&network, &client, bob.public_key(), coins(3)).await);

        // Forged, overdrawn and stale transfers are refused.
        let mut forged = pay(&alice, &mallory, coins(1), 2);
        forged.signature = pay(&mallory, &alice, coins(1), 2).signature;
        let answer = client.ask(&elsewhere, &Request::Transfer(forged)).await;
        assert_eq!(error_kind(&answer), ErrorKind::NotOwner);
        let stolen = SignedTransfer::new(
            Transfer {
                from: alice.public_key(),
                to: mallory.public_key(),
                amount: coins(1),
                nonce: 2,
                reference: [7; 16],
            },
            &mallory,
        );
        assert_eq!(
            error_kind(&client.ask(&primary, &Request::Transfer(stolen)).await),
            ErrorKind::NotOwner
        );
        let overdraft = pay(&alice, &mallory, coins(8), 2);
        let answer = client.ask(&primary, &Request::Transfer(overdraft)).await;
        assert_eq!(error_kind(&answer), ErrorKind::InsufficientFunds);
        let reused = pay(&alice, &mallory, coins(1), 1);
        assert_eq!(
            error_kind(&client.ask(&primary, &Request::Transfer(reused)).await),
            ErrorKind::Conflict
        );

        // The same coins (same nonce) to two receivers, through two holders at once.
        let to_carol = pay(&alice, &carol, coins(6), 2);
        let to_dave = pay(&alice, &dave, coins(6), 2);
        let (a, b) = futures::future::join(
            client.ask(&alice_holders[1], &Request::Transfer(to_carol.clone())),
            client.ask(&alice_holders[2], &Request::Transfer(to_dave.clone())),
        )
        .await;
        let succeeded =
            [&a, &b].iter().filter(|r| matches!(r, Response::Transferred { .. })).count();
        assert_eq!(succeeded, 1, "exactly one of two double spends succeeds: {a:?} / {b:?}");
        for r in [&a, &b] {
            if let Response::Error(e) = r {
                assert_eq!(e.kind, ErrorKind::Conflict, "{e:?}");
            }
        }
        let (winner, loser) = if matches!(a, Response::Transferred { .. }) {
            (&carol, &dave)
        } else {
            (&dave, &carol)
        };
        assert!(majority_has(&network, &client, alice.public_key(), coins(1)).await);
        assert!(majority_has(&network, &client, winner.public_key(), coins(6)).await);
        let mut total = 0;
        for key in [&alice, &bob, &carol, &dave, &mallory] {
            total += settled_balance(&network, &client, key.public_key()).await.nanos();
        }
        assert_eq!(Amount(total), coins(10), "balances add up to what the faucet minted");
        assert_eq!(settled_balance(&network, &client, loser.public_key()).await, Amount(0));

        // In time every holder agrees.
        for key in [&alice, &bob, winner] {
            let expected = settled_balance(&network, &client, key.public_key()).await;
            wait_for("every holder agrees on the balance", PATIENCE, || async {
                let all = balances(&network, &client, key.public_key()).await;
                all.iter().all(|b| *b == Some(expected)).then_some(())
            })
            .await;
        }
        network.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_without_faucet_refuses_to_mint() {
    within(async {
        let root = tempfile::tempdir().expect("temp dir");
        let node = start_node(root.path()).await;
        let client = Client::new();
        let to = Keypair::from_secret_bytes(&[51; 32]).public_key();
        let faucet = Request::Faucet { to, amount: coins(1), id: TransferId([2; 32]) };
        assert_eq!(error_kind(&client.ask(&node.info(), &faucet).await), ErrorKind::Forbidden);
        assert_eq!(node.status().accounts, 0);
        node.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_holder_delays_coin_moves_only_a_bounded_time() {
    within(async {
        // Nobody notices the death during the test: requests must get by on their own timeouts.
        let mut network = TestNetwork::start(4, 3, true, CALM).await;
        let client = Client::new();
        let [alice, bob] = [61u8, 62].map(|s| Keypair::from_secret_bytes(&[s; 32]));
        let holders = network.holders(&alice.public_key().xorname());
        let primary = holders[0].clone();
        let index = network
            .nodes
            .iter()
            .position(|n| n.as_ref().is_some_and(|n| n.info().id == primary.id))
            .expect("the primary is one of the nodes");
        network.kill(index);
        let survivor = network.live().next().expect("a live node").info();
        let bound = network.template.call_timeout * 8;

        let started = std::time::Instant::now();
        let faucet =
            Request::Faucet { to: alice.public_key(), amount: coins(5), id: TransferId([3; 32]) };
        assert_eq!(
            client.ask(&survivor, &faucet).await,
            Response::Transferred { id: TransferId([3; 32]) }
        );
        // The primary cannot be reached: the node asked coordinates the transfer itself.
        let transfer = pay(&alice, &bob, coins(2), 1);
        let answer = client.ask(&survivor, &Request::Transfer(transfer.clone())).await;
        assert_eq!(answer, Response::Transferred { id: transfer.id() });
        let took = started.elapsed();
        assert!(took < bound, "took {took:?}, more than {bound:?}");

        // Both live holders of alice's account hold the debit.
        for holder in holders.iter().filter(|h| h.id != primary.id) {
            match client.ask(holder, &Request::GetAccount { owner: alice.public_key() }).await {
                Response::Account(account) => assert_eq!(account.balance(), Ok(coins(3))),
                other => panic!("expected an account, got {other:?}"),
            }
        }
        network.shutdown().await;
    })
    .await;
}
