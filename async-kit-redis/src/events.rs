//! One pub/sub subscription per queue handle: events published by the
//! scripts of any process wake this process's waiters.

use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{Notify, oneshot};
use tokio::task::AbortHandle;

use crate::Error;

/// The waiters of one handle, by what they wait for.
#[derive(Debug, Default)]
pub(crate) struct Events {
    /// An item was put (getters).
    pub(crate) items: Notify,
    /// An item was taken (putters waiting for space).
    pub(crate) space: Notify,
    /// The last unfinished item was acknowledged (joiners).
    pub(crate) done: Notify,
}

impl Events {
    fn wake_all(&self) {
        self.items.notify_waiters();
        self.space.notify_waiters();
        self.done.notify_waiters();
    }

    fn dispatch(&self, payload: &[u8]) {
        match payload {
            b"p" => self.items.notify_waiters(),
            b"s" => self.space.notify_waiters(),
            b"d" => self.done.notify_waiters(),
            // Shutdown, or anything unknown: everyone looks again.
            _ => self.wake_all(),
        }
    }
}

/// The listener task; aborted when the handle's last clone drops.
#[derive(Debug)]
pub(crate) struct Listener(AbortHandle);

impl Drop for Listener {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How long the listener waits before subscribing again after a cut.
const RESUBSCRIBE_DELAY: Duration = Duration::from_millis(100);

/// Subscribes to `channel` and returns once the subscription is live, so
/// that no event published after this returns is missed.
pub(crate) async fn subscribe(
    client: &redis::Client,
    url: &str,
    channel: String,
    events: &Arc<Events>,
) -> Result<Listener, Error> {
    let mut pubsub = client
        .get_async_pubsub()
        .await
        .map_err(|err| Error::connect(url, err))?;
    pubsub
        .subscribe(&channel)
        .await
        .map_err(Error::from_redis)?;
    let (ready_tx, ready_rx) = oneshot::channel();
    let task = tokio::spawn(listen(
        client.clone(),
        channel,
        Arc::downgrade(events),
        pubsub,
        ready_tx,
    ));
    let _ = ready_rx.await;
    Ok(Listener(task.abort_handle()))
}

async fn listen(
    client: redis::Client,
    channel: String,
    events: Weak<Events>,
    first: redis::aio::PubSub,
    ready: oneshot::Sender<()>,
) {
    let _ = ready.send(());
    let mut pubsub = Some(first);
    loop {
        if let Some(connection) = pubsub.take() {
            let mut messages = connection.into_on_message();
            while let Some(message) = messages.next().await {
                let Some(events) = events.upgrade() else {
                    return;
                };
                events.dispatch(message.get_payload_bytes());
            }
        }
        // The connection broke: events may have been missed, so every waiter
        // looks again, and we subscribe anew once the server is back.
        match events.upgrade() {
            Some(events) => events.wake_all(),
            None => return,
        }
        tokio::time::sleep(RESUBSCRIBE_DELAY).await;
        if let Ok(mut connection) = client.get_async_pubsub().await
            && connection.subscribe(&channel).await.is_ok()
        {
            pubsub = Some(connection);
            if let Some(events) = events.upgrade() {
                events.wake_all();
            }
        }
    }
}
