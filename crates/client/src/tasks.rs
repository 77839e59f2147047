//! The operations in progress: each a future with an id and a deadline, polled by the driver
//! when something it waits for has changed.
//!
//! `FuturesUnordered` keeps track of which futures were woken; the driver's own waker only
//! records that some were, so the driver knows to poll again. Cancelling (by the caller or by
//! the deadline) aborts the future, which drops its requests, and completes it with the reason.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use futures::future::{AbortHandle, Abortable, Aborted, LocalBoxFuture};
use futures::stream::{FuturesUnordered, StreamExt};
use futures::task::{waker, ArcWake};
use futures::FutureExt;

use crate::{Completion, Error, ErrorCode, OpId, Output};

struct Flag(AtomicBool);

impl ArcWake for Flag {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.store(true, Ordering::Release);
    }
}

struct Task {
    abort: AbortHandle,
    deadline: Instant,
    /// Set when the task is aborted: what it completes with.
    reason: Option<Error>,
    /// What a timeout of this task says.
    timeout: Error,
}

type TaskFuture = LocalBoxFuture<'static, (OpId, Result<Result<Output, Error>, Aborted>)>;

/// Running operations, and the background work they left behind.
pub(crate) struct Tasks {
    futures: FuturesUnordered<TaskFuture>,
    /// Detached work: no id, no completion (see `Net::detach`).
    background: FuturesUnordered<LocalBoxFuture<'static, ()>>,
    live: HashMap<OpId, Task>,
    woken: Arc<Flag>,
    next_id: OpId,
}

impl Tasks {
    pub(crate) fn new() -> Self {
        Self {
            futures: FuturesUnordered::new(),
            background: FuturesUnordered::new(),
            live: HashMap::new(),
            woken: Arc::new(Flag(AtomicBool::new(false))),
            next_id: 1,
        }
    }

    /// The id the next operation will get.
    pub(crate) fn next_id(&mut self) -> OpId {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Starts `future` as operation `id` (from [`Self::next_id`]), failing with `timeout` if
    /// it is not done by `deadline`.
    pub(crate) fn spawn(
        &mut self,
        id: OpId,
        deadline: Instant,
        timeout: Error,
        future: impl Future<Output = Result<Output, Error>> + 'static,
    ) {
        let (abort, registration) = AbortHandle::new_pair();
        let task = Abortable::new(future, registration).map(move |r| (id, r));
        self.futures.push(task.boxed_local());
        self.live.insert(id, Task { abort, deadline, reason: None, timeout });
        self.woken.0.store(true, Ordering::Release);
    }

    /// Stops an operation; it completes with `reason`. Returns whether it was running.
    pub(crate) fn cancel(&mut self, id: OpId, reason: Error) -> bool {
        let Some(task) = self.live.get_mut(&id) else { return false };
        if task.reason.is_none() {
            task.reason = Some(reason);
            task.abort.abort();
            self.woken.0.store(true, Ordering::Release);
        }
        true
    }

    /// Runs `work` in the background until it finishes.
    pub(crate) fn spawn_background(&mut self, work: LocalBoxFuture<'static, ()>) {
        self.background.push(work);
        self.woken.0.store(true, Ordering::Release);
    }

    /// Cancels every operation with `reason`, and drops all background work.
    pub(crate) fn cancel_all(&mut self, reason: &Error) {
        let ids: Vec<OpId> = self.live.keys().copied().collect();
        for id in ids {
            self.cancel(id, reason.clone());
        }
        self.background.clear();
    }

    /// Fails the operations whose deadline has passed.
    pub(crate) fn expire(&mut self, now: Instant) {
        let expired: Vec<(OpId, Error)> = self
            .live
            .iter()
            .filter(|(_, t)| t.deadline <= now && t.reason.is_none())
            .map(|(id, t)| (*id, t.timeout.clone()))
            .collect();
        for (id, reason) in expired {
            self.cancel(id, reason);
        }
    }

    /// The earliest deadline of a running operation.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.live.values().filter(|t| t.reason.is_none()).map(|t| t.deadline).min()
    }

    /// Polls the woken operations, appending those that finished. Returns whether any were
    /// polled, i.e. whether they may have queued new work.
    pub(crate) fn run(&mut self, completions: &mut VecDeque<Completion>) -> bool {
        if !self.woken.0.swap(false, Ordering::AcqRel) {
            return false;
        }
        let waker = waker(self.woken.clone());
        let mut cx = Context::from_waker(&waker);
        while let Poll::Ready(Some((id, result))) = self.futures.poll_next_unpin(&mut cx) {
            let task = self.live.remove(&id);
            let result = match result {
                Ok(result) => result,
                Err(Aborted) => Err(task.and_then(|t| t.reason).unwrap_or_else(|| {
                    Error::new(ErrorCode::Internal, "operation aborted without a reason")
                })),
            };
            completions.push_back(Completion { id, result });
        }
        while let Poll::Ready(Some(())) = self.background.poll_next_unpin(&mut cx) {}
        true
    }

    /// How many operations are running.
    pub(crate) fn len(&self) -> usize {
        self.live.len()
    }
}
