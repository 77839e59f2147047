//! How an operation talks to the R nodes that hold an item: writes need a majority of them,
//! reads of immutable data take the first verified answer (asking the next holder when one
//! fails or is slow), and reads of mutable data (registers, accounts) merge what a majority
//! of holders answered, so a read always overlaps the majority that confirmed a write.
//!
//! Chunks are written once rather than R times ([`store_chunk`]): the closest holder stores the
//! chunk and forwards it to the others, and hands back each holder's signed receipt, which the
//! client checks against the holders' keys in its own map, so the majority it counts is still
//! one it verified.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use futures::future::{select, Either};
use futures::stream::{FuturesUnordered, StreamExt};
use safe_types::wire::{self, Request, Response};
use safe_types::{NodeInfo, XorName};

use crate::net::{node_answer, short, Net};
use crate::transport::{RequestError, Target};
use crate::{Error, ErrorCode};

/// How long a read waits for a holder before asking the next one as well (or, for mutable
/// data, before settling for the answers it has).
pub(super) const HEDGE_DELAY: Duration = Duration::from_secs(2);
/// How long the requests to the last holders may go on after a write completed.
const BACKGROUND_GRACE: Duration = Duration::from_secs(30);
/// How long the closest holder of a chunk gets to store it and have the others confirm their
/// copies before the client stores it on them itself.
const REPLICATE_PATIENCE: Duration = Duration::from_secs(3);

/// How many of `holders` make a majority.
pub(super) fn majority(holders: usize) -> usize {
    holders / 2 + 1
}

/// Sends `frame` to every holder and completes once a majority answered something `accept`
/// takes (giving those results); the requests to the others go on in the background for a
/// while, so a slow or dead holder neither holds the caller up nor keeps the rest from getting
/// the write. Fails as soon as a majority can no longer be reached.
pub(super) async fn write_majority<T: 'static>(
    net: &Net,
    holders: &[NodeInfo],
    frame: Bytes,
    what: &str,
    accept: impl Fn(&str, Response) -> Result<T, Error> + Clone + 'static,
) -> Result<Vec<T>, Error> {
    write_some(net, holders, 0, majority(holders.len()), frame, what, accept).await
}

/// Stores the chunk `content` (whose address is `address`) on a majority of its `holders`,
/// closest first. The closest holder is asked to store it and forward it to the others
/// (`ReplicateChunk`), so the chunk leaves the client once; the receipts it hands back count
/// only where they are valid signatures of holders in this client's map. Where it fails, is
/// silent for [`REPLICATE_PATIENCE`], or confirms too few copies, the chunk goes directly to
/// the holders without a receipt, as any write.
pub(super) async fn store_chunk(
    net: &Net,
    holders: &[NodeInfo],
    address: XorName,
    content: Bytes,
) -> Result<(), Error> {
    let needed = majority(holders.len());
    let confirmed = replicate_through_closest(net, holders, &address, content.clone()).await;
    if confirmed.len() >= needed {
        return Ok(());
    }
    let rest: Vec<NodeInfo> =
        holders.iter().filter(|h| !confirmed.contains(&h.id)).cloned().collect();
    let frame = wire_frame(&Request::PutChunk { content })?;
    let what = format!("chunk {} was", short(&address));
    let more = needed - confirmed.len();
    write_some(
        net,
        &rest,
        confirmed.len(),
        more,
        frame,
        &what,
        move |name, response| match response {
            Response::Stored { address: a } if a == address => Ok(()),
            _ => Err(Error::protocol(format!("node {name} acknowledged the wrong chunk"))),
        },
    )
    .await
    .map(|_| ())
}

/// Asks the closest of `holders` to replicate the chunk; the holders whose valid receipts came
/// back (none when it failed or took longer than [`REPLICATE_PATIENCE`]).
async fn replicate_through_closest(
    net: &Net,
    holders: &[NodeInfo],
    address: &XorName,
    content: Bytes,
) -> Vec<XorName> {
    let Some(closest) = holders.first() else { return Vec::new() };
    let name = short(&closest.id);
    let reply = net.request_node(closest, &Request::ReplicateChunk { content });
    let patience = net.sleep(REPLICATE_PATIENCE);
    futures::pin_mut!(patience);
    let answer = match select(reply, patience).await {
        Either::Left((outcome, _)) => {
            reached(net, outcome).and_then(|reply| node_answer(&name, reply.response))
        }
        Either::Right(((), _)) => {
            Err(Error::network(format!("node {name} did not confirm copies in time")))
        }
    };
    match answer {
        Ok(Response::Replicated { address: a, receipts }) if a == *address => {
            let mut confirmed: Vec<XorName> = Vec::with_capacity(receipts.len());
            for receipt in receipts {
                let valid = holders.iter().any(|h| receipt.is_from(h, address));
                if valid && !confirmed.contains(&receipt.node) {
                    confirmed.push(receipt.node);
                }
            }
            confirmed
        }
        Ok(other) => {
            tracing::debug!(node = %name, answer = ?other, "unexpected answer to a replicated put");
            Vec::new()
        }
        Err(e) => {
            tracing::debug!(node = %name, error = %e.message, "replicated put failed; writing directly");
            Vec::new()
        }
    }
}

fn wire_frame(request: &Request) -> Result<Bytes, Error> {
    wire::encode(request)
        .map(Bytes::from)
        .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))
}

/// As [`write_majority`], but completes once `needed` of `holders` accepted; `confirmed` other
/// holders already had it (their count is part of the failure message).
async fn write_some<T: 'static>(
    net: &Net,
    holders: &[NodeInfo],
    confirmed: usize,
    needed: usize,
    frame: Bytes,
    what: &str,
    accept: impl Fn(&str, Response) -> Result<T, Error> + Clone + 'static,
) -> Result<Vec<T>, Error> {
    let mut writes: FuturesUnordered<_> = holders
        .iter()
        .map(|node| {
            let reply =
                net.send_frame(Target { addr: node.addr, id: Some(node.id) }, frame.clone());
            let name = short(&node.id);
            let accept = accept.clone();
            let net = net.clone();
            async move { accept(&name, node_answer(&name, reached(&net, reply.await)?.response)?) }
        })
        .collect();
    let mut accepted = Vec::new();
    let mut failures = Vec::new();
    while accepted.len() < needed && failures.len() + needed <= holders.len() {
        match writes.next().await {
            Some(Ok(t)) => accepted.push(t),
            Some(Err(e)) => failures.push(e),
            None => break,
        }
    }
    if accepted.len() < needed {
        return Err(Error::new(
            worst(&failures),
            format!(
                "{what} confirmed by {} of {} nodes, {} needed: {}",
                confirmed + accepted.len(),
                confirmed + holders.len(),
                confirmed + needed,
                messages(&failures)
            ),
        ));
    }
    if !writes.is_empty() {
        let bytes = frame.len() as u64;
        net.detach_write(
            bytes,
            BACKGROUND_GRACE,
            async move { while writes.next().await.is_some() {} },
        );
    }
    Ok(accepted)
}

/// Asks the holders in turn and returns the first answer `verify` accepts. A holder that fails
/// is replaced by the next at once (unless `final_error` says the failure would be the same
/// anywhere, e.g. a refused transfer); one that is slow gets company after [`HEDGE_DELAY`].
/// The other requests are dropped once one succeeds.
pub(super) async fn first_verified<T, F, Fut>(
    net: &Net,
    holders: &[&NodeInfo],
    request: &Request,
    final_error: impl Fn(&Error) -> bool,
    verify: F,
) -> Result<T, Vec<Error>>
where
    F: Fn(String, Response) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut untried = holders.iter();
    let mut attempts = FuturesUnordered::new();
    let mut failures = Vec::new();
    let ask = |node: &NodeInfo| {
        let name = short(&node.id);
        let reply = net.request_node(node, request);
        let verify = &verify;
        async move {
            let response = node_answer(&name, reached(net, reply.await)?.response)?;
            verify(name, response).await
        }
    };
    loop {
        if attempts.is_empty() {
            match untried.next() {
                Some(node) => attempts.push(ask(node)),
                None => return Err(failures),
            }
        }
        let hedge = net.sleep(HEDGE_DELAY);
        futures::pin_mut!(hedge);
        match select(attempts.next(), hedge).await {
            Either::Left((Some(Ok(value)), _)) => return Ok(value),
            Either::Left((Some(Err(e)), _)) => {
                if final_error(&e) {
                    failures.push(e);
                    return Err(failures);
                }
                failures.push(e);
                if let Some(node) = untried.next() {
                    attempts.push(ask(node));
                }
            }
            Either::Left((None, _)) => {}
            Either::Right(((), _)) => {
                if let Some(node) = untried.next() {
                    attempts.push(ask(node));
                }
            }
        }
    }
}

/// What the holders of a mutable item said.
pub(super) struct Answers {
    /// The replicas they returned (already checked by the caller's `accept`).
    pub(super) found: Vec<Response>,
    /// How many said they hold nothing.
    pub(super) not_found: usize,
    /// Everything else that went wrong.
    pub(super) failures: Vec<Error>,
}

/// Asks every holder of a mutable item and waits for answers (a replica or "not found") from
/// a majority; settles for fewer only when the others stay silent for [`HEDGE_DELAY`] after
/// the latest answer.
pub(super) async fn read_majority(net: &Net, holders: &[&NodeInfo], request: &Request) -> Answers {
    let needed = majority(holders.len());
    let mut reads: FuturesUnordered<_> = holders
        .iter()
        .map(|node| {
            let name = short(&node.id);
            let reply = net.request_node(node, request);
            async move { node_answer(&name, reached(net, reply.await)?.response) }
        })
        .collect();
    let mut answers = Answers { found: Vec::new(), not_found: 0, failures: Vec::new() };
    let answered = |a: &Answers| a.found.len() + a.not_found;
    while answered(&answers) < needed {
        let next = if answered(&answers) == 0 {
            reads.next().await
        } else {
            let patience = net.sleep(HEDGE_DELAY);
            futures::pin_mut!(patience);
            match select(reads.next(), patience).await {
                Either::Left((next, _)) => next,
                Either::Right(((), _)) => break,
            }
        };
        match next {
            Some(Ok(response)) => answers.found.push(response),
            Some(Err(e)) if e.code == ErrorCode::NotFound => answers.not_found += 1,
            Some(Err(e)) => answers.failures.push(e),
            None => break,
        }
    }
    answers
}

/// A request's outcome; a node that could not be reached makes the network map stale (the
/// node may have left), so the next operation fetches it again.
fn reached<T>(net: &Net, outcome: Result<T, RequestError>) -> Result<T, Error> {
    outcome.map_err(|e| {
        let error = Error::from(e);
        if error.code == ErrorCode::Network {
            net.mark_map_stale();
        }
        error
    })
}

/// The code that best describes a set of failures: a node that broke the protocol matters more
/// than one that could not be reached, which matters more than one that had nothing.
pub(super) fn worst(failures: &[Error]) -> ErrorCode {
    let rank = |c: ErrorCode| match c {
        ErrorCode::Protocol => 4,
        ErrorCode::NotOwner | ErrorCode::InsufficientBalance | ErrorCode::Conflict => 3,
        ErrorCode::NotFound => 1,
        _ => 2,
    };
    failures.iter().map(|e| e.code).max_by_key(|c| rank(*c)).unwrap_or(ErrorCode::Network)
}

/// The failures' messages, one after another.
pub(super) fn messages(failures: &[Error]) -> String {
    failures.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; ")
}
