//! Model-based tests of the three queues: random sequences of every verb,
//! checked step by step against a plain sequential model (a `VecDeque`, a
//! `Vec`, a `BinaryHeap`) that says what each call must return.
//!
//! The async verbs are polled once (`now_or_never`): the model says whether
//! they must be ready (and with what) or still waiting. A waiting `put` is
//! dropped, which must leave the queue as it was.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use async_kit::queue::{LifoQueue, PriorityQueue, PutError, Queue, TryGetError, TryPutError};
use futures::FutureExt;
use proptest::prelude::*;

#[derive(Debug, Clone, Copy)]
enum Op {
    Put(u8),
    TryPut(u8),
    Get,
    TryGet,
    TaskDone,
    Shutdown,
    ShutdownImmediate,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<u8>().prop_map(Op::Put),
        4 => any::<u8>().prop_map(Op::TryPut),
        3 => Just(Op::Get),
        3 => Just(Op::TryGet),
        3 => Just(Op::TaskDone),
        1 => Just(Op::Shutdown),
        1 => Just(Op::ShutdownImmediate),
    ]
}

/// The order a queue keeps its items in, as a plain collection.
trait Store: Default {
    fn push(&mut self, item: (u8, u32));
    fn pop(&mut self) -> Option<(u8, u32)>;
    fn len(&self) -> usize;
}

#[derive(Default)]
struct Fifo(VecDeque<(u8, u32)>);
impl Store for Fifo {
    fn push(&mut self, item: (u8, u32)) {
        self.0.push_back(item);
    }
    fn pop(&mut self) -> Option<(u8, u32)> {
        self.0.pop_front()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

#[derive(Default)]
struct Lifo(Vec<(u8, u32)>);
impl Store for Lifo {
    fn push(&mut self, item: (u8, u32)) {
        self.0.push(item);
    }
    fn pop(&mut self) -> Option<(u8, u32)> {
        self.0.pop()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// Smallest first; the sequence number makes every item distinct, so the
/// order is fully determined.
#[derive(Default)]
struct Smallest(BinaryHeap<Reverse<(u8, u32)>>);
impl Store for Smallest {
    fn push(&mut self, item: (u8, u32)) {
        self.0.push(Reverse(item));
    }
    fn pop(&mut self) -> Option<(u8, u32)> {
        self.0.pop().map(|Reverse(item)| item)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

#[derive(PartialEq, Eq)]
enum Closed {
    Open,
    Graceful,
    Immediate,
}

struct Model<S> {
    store: S,
    capacity: Option<usize>,
    unfinished: usize,
    closed: Closed,
}

impl<S: Store> Model<S> {
    fn new(capacity: Option<usize>) -> Self {
        Model {
            store: S::default(),
            capacity,
            unfinished: 0,
            closed: Closed::Open,
        }
    }

    fn full(&self) -> bool {
        self.capacity.is_some_and(|c| self.store.len() >= c)
    }

    /// What `try_put` must return; applies it.
    fn try_put(&mut self, item: (u8, u32)) -> Result<(), TryPutError<(u8, u32)>> {
        if self.closed != Closed::Open {
            Err(TryPutError::ShutDown(item))
        } else if self.full() {
            Err(TryPutError::Full(item))
        } else {
            self.store.push(item);
            self.unfinished += 1;
            Ok(())
        }
    }

    /// What `put` polled once must give (`None`: still waiting); applies it.
    fn put(&mut self, item: (u8, u32)) -> Option<Result<(), PutError<(u8, u32)>>> {
        match self.try_put(item) {
            Ok(()) => Some(Ok(())),
            Err(TryPutError::ShutDown(item)) => Some(Err(PutError(item))),
            Err(TryPutError::Full(_)) => None,
        }
    }

    fn try_get(&mut self) -> Result<(u8, u32), TryGetError> {
        if self.closed == Closed::Immediate {
            return Err(TryGetError::ShutDown);
        }
        match self.store.pop() {
            Some(item) => Ok(item),
            None if self.closed == Closed::Graceful => Err(TryGetError::ShutDown),
            None => Err(TryGetError::Empty),
        }
    }

    /// `None`: still waiting; `Some(None)`: failed (shut down).
    fn get(&mut self) -> Option<Option<(u8, u32)>> {
        match self.try_get() {
            Ok(item) => Some(Some(item)),
            Err(TryGetError::ShutDown) => Some(None),
            Err(TryGetError::Empty) => None,
        }
    }

    fn task_done(&mut self) -> bool {
        if self.unfinished == 0 {
            return false;
        }
        self.unfinished -= 1;
        true
    }

    fn shutdown(&mut self) -> bool {
        let first = self.closed == Closed::Open;
        if first {
            self.closed = Closed::Graceful;
        }
        first
    }

    fn shutdown_immediate(&mut self) -> Vec<(u8, u32)> {
        self.closed = Closed::Immediate;
        let mut drained = Vec::new();
        while let Some(item) = self.store.pop() {
            drained.push(item);
        }
        // As Python does: a task_done already called for an item still in
        // the queue is not counted twice.
        self.unfinished = self.unfinished.saturating_sub(drained.len());
        drained
    }
}

/// Runs `ops` on a fresh queue of type `$queue` and on the model `$store`,
/// comparing every answer and, after every step, the observable state.
macro_rules! check_against_model {
    ($queue:ident, $store:ty, $capacity:expr, $ops:expr) => {{
        let capacity: Option<usize> = $capacity;
        let queue = match capacity {
            Some(c) => $queue::bounded(c),
            None => $queue::unbounded(),
        };
        let mut model = Model::<$store>::new(capacity);
        let mut seq = 0_u32;
        for (step, op) in $ops.iter().enumerate() {
            let at = format!("step {step}: {op:?}");
            match *op {
                Op::Put(priority) => {
                    seq += 1;
                    let item = (priority, seq);
                    let got = queue.put(item).now_or_never();
                    prop_assert_eq!(got, model.put(item), "{}", at);
                }
                Op::TryPut(priority) => {
                    seq += 1;
                    let item = (priority, seq);
                    prop_assert_eq!(queue.try_put(item), model.try_put(item), "{}", at);
                }
                Op::Get => {
                    let got = queue.get().now_or_never().map(Result::ok);
                    prop_assert_eq!(got, model.get(), "{}", at);
                }
                Op::TryGet => prop_assert_eq!(queue.try_get(), model.try_get(), "{}", at),
                Op::TaskDone => {
                    prop_assert_eq!(queue.task_done().is_ok(), model.task_done(), "{}", at)
                }
                Op::Shutdown => prop_assert_eq!(queue.shutdown(), model.shutdown(), "{}", at),
                Op::ShutdownImmediate => prop_assert_eq!(
                    queue.shutdown_immediate(),
                    model.shutdown_immediate(),
                    "{}",
                    at
                ),
            }
            prop_assert_eq!(queue.len(), model.store.len(), "len after {}", at);
            prop_assert_eq!(queue.is_full(), model.full(), "is_full after {}", at);
            prop_assert_eq!(
                queue.is_shutdown(),
                model.closed != Closed::Open,
                "is_shutdown after {}",
                at
            );
            prop_assert_eq!(
                queue.join().now_or_never().is_some(),
                model.unfinished == 0,
                "join after {}",
                at
            );
        }
    }};
}

fn capacity() -> impl Strategy<Value = Option<usize>> {
    prop_oneof![Just(None), (1_usize..6).prop_map(Some)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn queue_behaves_as_a_vecdeque(capacity in capacity(), ops in proptest::collection::vec(op(), 0..80)) {
        check_against_model!(Queue, Fifo, capacity, ops);
    }

    #[test]
    fn lifo_queue_behaves_as_a_vec(capacity in capacity(), ops in proptest::collection::vec(op(), 0..80)) {
        check_against_model!(LifoQueue, Lifo, capacity, ops);
    }

    #[test]
    fn priority_queue_behaves_as_a_binary_heap(capacity in capacity(), ops in proptest::collection::vec(op(), 0..80)) {
        check_against_model!(PriorityQueue, Smallest, capacity, ops);
    }
}
