use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::future::poll_fn;
use std::panic::AssertUnwindSafe;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::FutureExt;
use futures_util::task::AtomicWaker;
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;

use super::error::{SpawnError, TaskError};
use super::handle::TaskHandle;
use super::task_pool::TaskPool;
use crate::time::Elapsed;

/// Inputs each worker may have taken and not yet seen yielded, unless
/// [`Map::window`] says otherwise.
const WINDOW_PER_WORKER: usize = 16;

/// Window permits a worker takes at once when they are free.
const CHUNK: usize = 16;

/// Results sent by a worker in one message: input index and outcome.
type Batch<T> = Vec<(usize, Result<T, TaskError>)>;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type Launch = BoxFuture<Result<TaskHandle<()>, SpawnError<BoxFuture<()>>>>;

/// Stream for the [`TaskPool::map`] method.
///
/// It yields one `Result` per input, in completion order, or in input order
/// after [`ordered`](Map::ordered). Dropping it aborts the work in flight
/// and pulls no more inputs.
///
/// # Examples
///
/// ```
/// use async_kit::task::TaskPool;
/// use futures::StreamExt;
///
/// # #[tokio::main]
/// # async fn main() {
/// let pool = TaskPool::new(8);
/// let squares: Vec<u64> = pool
///     .map(1..=4_u64, |x| async move { x * x })
///     .ordered()
///     .map(|r| r.unwrap())
///     .collect()
///     .await;
/// assert_eq!(squares, [1, 4, 9, 16]);
/// # }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Map<T> {
    pool: TaskPool,
    // Builds one more worker of this map; dropped once every worker is
    // launched, so that the results channel closes when they all finish.
    make_worker: Option<Box<dyn FnMut() -> BoxFuture<()> + Send>>,
    // Workers launched so far, at least `eager` of them, at most `limit`.
    launched: usize,
    eager: usize,
    limit: usize,
    launching: Option<Launch>,
    // The deadline in force when the last worker was launched: the workers
    // inherit it (see `TaskPool::spawn`), so workers gone before the inputs
    // ran out were stopped by it once it has passed.
    deadline: Option<Instant>,
    workers: Vec<TaskHandle<()>>,
    results: mpsc::UnboundedReceiver<Batch<T>>,
    // The batch being yielded.
    received: std::vec::IntoIter<(usize, Result<T, TaskError>)>,
    shared: Arc<Shared>,
    // Permits to give back to `window`, in batches of half the window (or
    // all of them when the stream waits), so that refills wake each waiting
    // worker once per batch, not once per item.
    emitted: usize,
    batch: usize,
    // The window's size, and the permits still to take back from it after
    // a shrink (held by workers or by yielded-but-not-returned results).
    window: usize,
    shrink_debt: usize,
    ordered: bool,
    next: usize,
    // Results waiting for the ones before them, by `index - next`.
    reorder: VecDeque<Option<Result<T, TaskError>>>,
    done: bool,
}

/// What the stream and its workers share.
struct Shared {
    // One permit per input taken and not yet yielded: bounds the results
    // buffered in the stream and the inputs in flight.
    window: Semaphore,
    // Set by the worker that finds the inputs exhausted.
    exhausted: AtomicBool,
    // Workers waiting on an input's future that was not ready at once; when
    // every launched worker does, the stream launches one more.
    stalled: AtomicUsize,
    stream: AtomicWaker,
}

struct Source<I, F> {
    inputs: I,
    f: F,
    next: usize,
}

impl TaskPool {
    /// Runs `f` over every input on the pool and yields the results as a
    /// [`Stream`], in completion order (or in input order after
    /// [`Map::ordered`]).
    ///
    /// It starts worker tasks on the pool (waiting for slots like
    /// [`spawn`](TaskPool::spawn)): one per runtime thread at first, then
    /// one more whenever every worker waits on its input, up to
    /// [`limit`](TaskPool::limit). Each pulls the next input only when it
    /// is free, calls `f`, and runs the future; while the futures it runs
    /// are ready at once, it takes inputs in batches of up to 16 (so quick
    /// inputs cost less than a `buffer_unordered` in one task), and back to
    /// one at a time as soon as one waits. A million inputs never become a
    /// million futures: at most a window of inputs, `16 × limit` unless
    /// [`Map::window`] sets it, are taken and not yet yielded. The stream stays
    /// lazy: nothing starts before it is first polled, and the workers wait
    /// when results are not consumed.
    ///
    /// A panic in `f` or in its future yields [`TaskError::Panicked`] for
    /// that input, and the others go on. If the pool shuts down before every
    /// input is done, the stream yields one [`TaskError::Shutdown`] and
    /// ends. The workers inherit the deadline in force where the stream is
    /// polled (as [`spawn`](TaskPool::spawn) does), so each input's future
    /// sees it; if it passes before every input is done, the stream yields
    /// one [`TaskError::Elapsed`] and ends. The pool's [`figures`](TaskPool::figures) count the map's
    /// worker tasks, not its inputs.
    ///
    /// # Panics
    ///
    /// Polling the stream panics outside of a tokio runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::task::TaskPool;
    /// use futures::StreamExt;
    ///
    /// # #[tokio::main]
    /// # async fn main() {
    /// let pool = TaskPool::new(16);
    /// let mut total = 0;
    /// let mut results = pool.map(0..1_000_u64, |x| async move { x % 7 });
    /// while let Some(r) = results.next().await {
    ///     total += r.unwrap();
    /// }
    /// assert_eq!(total, (0..1_000).map(|x| x % 7).sum());
    /// # }
    /// ```
    pub fn map<I, F, Fut>(&self, inputs: I, f: F) -> Map<Fut::Output>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        F: FnMut(I::Item) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        let limit = self.limit().max(1);
        let window = WINDOW_PER_WORKER * limit;
        // One worker per runtime thread from the start, so that quick inputs
        // use every thread; more, up to the limit, as inputs wait.
        let threads = tokio::runtime::Handle::try_current()
            .map_or(1, |rt| rt.metrics().num_workers())
            .max(1);
        let shared = Arc::new(Shared {
            window: Semaphore::new(window),
            exhausted: AtomicBool::new(false),
            stalled: AtomicUsize::new(0),
            stream: AtomicWaker::new(),
        });
        let (sender, results) = mpsc::unbounded_channel();
        let source = Arc::new(Mutex::new(Source {
            inputs: inputs.into_iter(),
            f,
            next: 0,
        }));
        let make_worker = {
            let shared = shared.clone();
            move || -> BoxFuture<()> {
                Box::pin(work(source.clone(), shared.clone(), sender.clone()))
            }
        };
        Map {
            pool: self.clone(),
            make_worker: Some(Box::new(make_worker)),
            launched: 0,
            eager: threads.min(limit),
            limit,
            launching: None,
            deadline: None,
            workers: Vec::new(),
            results,
            received: Vec::new().into_iter(),
            shared,
            emitted: 0,
            batch: window / 2,
            window,
            shrink_debt: 0,
            ordered: false,
            next: 0,
            reorder: VecDeque::new(),
            done: false,
        }
    }
}

impl<T> Map<T> {
    /// Yields the results in the order of the inputs instead of the order
    /// in which they complete.
    ///
    /// A slow input holds back the results after it (at most a
    /// [`window`](Map::window) of them are kept), not the work: the other
    /// workers go on until that bound.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::task::TaskPool;
    /// use futures::StreamExt;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let pool = TaskPool::new(4);
    /// let slow_first = |ms: u64| async move {
    ///     tokio::time::sleep(Duration::from_millis(ms)).await;
    ///     ms
    /// };
    /// let done: Vec<u64> = pool
    ///     .map([30, 10, 20], slow_first)
    ///     .ordered()
    ///     .map(|r| r.unwrap())
    ///     .collect()
    ///     .await;
    /// assert_eq!(done, [30, 10, 20]);
    /// # }
    /// ```
    pub fn ordered(mut self) -> Self {
        self.ordered = true;
        self
    }

    /// Sets how many inputs may be taken and not yet yielded: in flight on
    /// a worker, or finished and waiting for the consumer. At least 1.
    ///
    /// The default, `16 × limit`, lets each worker take quick inputs in
    /// batches and run ahead of a consumer that takes results in bursts;
    /// its cost is memory: up to that many inputs, futures and outputs
    /// alive at once. `window(limit)` bounds the map like
    /// `buffer_unordered(limit)`, everything in flight or finished counted
    /// together, so a stalled consumer holds at most `limit` outputs; the
    /// workers then wait for the consumer after each round, which costs
    /// throughput on quick inputs (see BENCHMARKS.md). A window below the
    /// pool's limit also caps how many inputs run at once.
    ///
    /// It may be called at any time: a larger window frees the workers at
    /// once, a smaller one takes effect as results are yielded.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use async_kit::task::TaskPool;
    /// use futures::StreamExt;
    ///
    /// # #[tokio::main]
    /// # async fn main() {
    /// let pool = TaskPool::new(4);
    /// let pulled = Arc::new(AtomicUsize::new(0));
    /// let counter = pulled.clone();
    /// let inputs = (0..1_000).inspect(move |_| {
    ///     counter.fetch_add(1, Ordering::Relaxed);
    /// });
    /// let mut results = pool.map(inputs, |i| async move { i }).window(4);
    /// results.next().await;
    /// for _ in 0..100 {
    ///     tokio::task::yield_now().await; // the consumer dawdles
    /// }
    /// // One yielded, and at most four taken ahead of the consumer.
    /// assert!(pulled.load(Ordering::Relaxed) <= 1 + 4);
    /// # }
    /// ```
    pub fn window(mut self, inputs: usize) -> Self {
        let inputs = inputs.max(1);
        if inputs > self.window {
            let mut grow = inputs - self.window;
            let repaid = grow.min(self.shrink_debt);
            self.shrink_debt -= repaid;
            grow -= repaid;
            self.shared.window.add_permits(grow);
        } else {
            let shrink = self.window - inputs;
            let forgotten = self.shared.window.forget_permits(shrink);
            self.shrink_debt += shrink - forgotten;
        }
        self.window = inputs;
        self.batch = (inputs / 2).max(1);
        self
    }

    /// Starts the map's workers, one at a time, as pool slots allow: one
    /// per runtime thread, then one more whenever all of them wait on their
    /// input.
    fn launch(&mut self, cx: &mut Context<'_>) {
        self.shared.stream.register(cx.waker());
        loop {
            if self.launching.is_none() {
                let wanted = (self.shared.stalled.load(Ordering::Acquire) + 1)
                    .max(self.eager)
                    .min(self.limit);
                let exhausted = self.shared.exhausted.load(Ordering::Acquire);
                if exhausted || self.launched >= self.limit {
                    // Every worker that will ever run is out: drop the last
                    // sender held here, so the results end with the workers.
                    self.make_worker = None;
                    return;
                }
                if self.launched >= wanted {
                    return;
                }
                let Some(make_worker) = self.make_worker.as_mut() else {
                    return;
                };
                self.launched += 1;
                let worker = make_worker();
                let pool = self.pool.clone();
                self.deadline = crate::deadline();
                self.launching = Some(Box::pin(async move { pool.spawn(worker).await }));
            }
            let Some(launching) = self.launching.as_mut() else {
                return;
            };
            let Poll::Ready(launched) = launching.as_mut().poll(cx) else {
                return;
            };
            self.launching = None;
            match launched {
                Ok(handle) => self.workers.push(handle),
                // Shut down: launch no more.
                Err(_) => {
                    self.launched = self.limit;
                    self.make_worker = None;
                    return;
                }
            }
        }
    }

    fn give_back(&mut self, flush: bool) {
        self.emitted += 1;
        if flush || self.emitted >= self.batch {
            self.return_permits();
        }
    }

    /// Returns the permits of the results yielded since the last return,
    /// less what a shrunk window still owes.
    fn return_permits(&mut self) {
        let repaid = self.emitted.min(self.shrink_debt);
        self.shrink_debt -= repaid;
        self.shared.window.add_permits(self.emitted - repaid);
        self.emitted = 0;
    }
}

impl<T> Stream for Map<T> {
    type Item = Result<T, TaskError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        this.launch(cx);
        loop {
            if this.ordered {
                if let Some(result) = this.reorder.front_mut().and_then(Option::take) {
                    this.reorder.pop_front();
                    this.next += 1;
                    let flush = this.reorder.is_empty();
                    this.give_back(flush);
                    return Poll::Ready(Some(result));
                }
            }
            if let Some((index, result)) = this.received.next() {
                if this.ordered {
                    // Never below `next`: each index arrives once.
                    let slot = index - this.next;
                    if slot >= this.reorder.len() {
                        this.reorder.resize_with(slot + 1, || None);
                    }
                    this.reorder[slot] = Some(result);
                    continue;
                }
                this.give_back(false);
                return Poll::Ready(Some(result));
            }
            let received = match this.results.poll_recv(cx) {
                Poll::Ready(received) => received,
                Poll::Pending => {
                    // Waiting: let the workers have every permit back.
                    if this.emitted > 0 {
                        this.return_permits();
                    }
                    return Poll::Pending;
                }
            };
            match received {
                Some(batch) => this.received = batch.into_iter(),
                None => {
                    this.done = true;
                    // Every worker is gone: either the inputs ran out, or the
                    // pool shut down first, or the deadline they inherited
                    // passed.
                    if this.shared.exhausted.load(Ordering::Acquire) {
                        return Poll::Ready(None);
                    }
                    let stopped = match this.deadline {
                        Some(deadline) if Instant::now() >= deadline => {
                            TaskError::Elapsed(Elapsed::new(true))
                        }
                        _ => TaskError::Shutdown,
                    };
                    return Poll::Ready(Some(Err(stopped)));
                }
            }
        }
    }
}

// No field is pinned: the stream only moves whole values in and out.
impl<T> Unpin for Map<T> {}

impl<T> Drop for Map<T> {
    fn drop(&mut self) {
        self.shared.window.close();
        for worker in &self.workers {
            worker.abort();
        }
    }
}

impl<T> fmt::Debug for Map<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("ordered", &self.ordered)
            .field("window", &self.window)
            .field("workers", &self.workers.len())
            .field("next", &self.next)
            .field("done", &self.done)
            .finish()
    }
}

/// One worker of a map: takes inputs until none is left.
///
/// It takes one input at a time while inputs wait on something; while their
/// futures are ready at once, it takes them in growing batches (up to
/// `CHUNK`) under one lock and sends their results in one message, so quick
/// inputs do not make the workers and the stream fight over a lock and a
/// channel for each one.
async fn work<I, F, Fut>(
    source: Arc<Mutex<Source<I, F>>>,
    shared: Arc<Shared>,
    results: mpsc::UnboundedSender<Batch<Fut::Output>>,
) where
    I: Iterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future,
{
    let window = &shared.window;
    // Window permits this worker holds: taken a few at a time, so a refill
    // of the window does not wake it once per item.
    let mut credit = 0;
    let mut batch = 1;
    loop {
        if credit == 0 {
            let free = window.available_permits().clamp(1, CHUNK);
            let taken = match window.try_acquire_many(u32::try_from(free).unwrap_or(1)) {
                Ok(permits) => Ok((permits, free)),
                // Closed when the stream is dropped.
                Err(_) => window.acquire().await.map(|permit| (permit, 1)),
            };
            let Ok((permits, n)) = taken else {
                return;
            };
            permits.forget();
            credit = n;
        }
        let mut taken = Vec::with_capacity(batch.min(credit));
        {
            // A panic in `f` is caught below, so the lock is never poisoned
            // by it; a poisoned lock would still hold a usable iterator.
            let mut source = source.lock().unwrap_or_else(|e| e.into_inner());
            let source = &mut *source;
            while taken.len() < batch.min(credit) {
                let Some(input) = source.inputs.next() else {
                    break;
                };
                let index = source.next;
                source.next += 1;
                let f = &mut source.f;
                taken.push((
                    index,
                    std::panic::catch_unwind(AssertUnwindSafe(|| f(input))),
                ));
            }
        }
        if taken.is_empty() {
            shared.exhausted.store(true, Ordering::Release);
            window.add_permits(credit);
            shared.stream.wake();
            return;
        }
        credit -= taken.len();
        let mut done = Vec::with_capacity(taken.len());
        let mut all_ready = true;
        for (index, made) in taken {
            let result = match made {
                Ok(fut) => {
                    let mut fut = pin!(AssertUnwindSafe(fut).catch_unwind());
                    match poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await {
                        Poll::Ready(out) => out,
                        Poll::Pending => {
                            all_ready = false;
                            // Yield what is done before waiting.
                            if !done.is_empty() && results.send(std::mem::take(&mut done)).is_err()
                            {
                                return;
                            }
                            shared.stalled.fetch_add(1, Ordering::AcqRel);
                            shared.stream.wake();
                            let _stalled = Stalled(&shared.stalled);
                            fut.await
                        }
                    }
                }
                Err(payload) => Err(payload),
            };
            done.push((index, result.map_err(TaskError::Panicked)));
        }
        if results.send(done).is_err() {
            return;
        }
        batch = if all_ready { (batch * 2).min(CHUNK) } else { 1 };
        tokio::task::coop::consume_budget().await;
    }
}

struct Stalled<'a>(&'a AtomicUsize);

impl Drop for Stalled<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
