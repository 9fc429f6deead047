//! `RedisLimiter` against a real redis-server: handles standing for
//! processes, then real processes (this test binary run as children); the
//! checks read Redis with the test's own commands.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use async_kit_redis::{Error, Redis, RedisKeyedLimiter, RedisLimitExt, RedisLimiter};
use redis::Commands;
use support::RedisServer;
use support::process::{self, Worker, report, var};

async fn open(server: &RedisServer, name: &str, limit: usize, lease_ms: u64) -> RedisLimiter {
    let redis = Redis::connect(&server.url()).await.unwrap();
    RedisLimiter::builder(name, limit)
        .lease(Duration::from_millis(lease_ms))
        .open(&redis)
        .await
        .unwrap()
}

/// The holders in Redis, as the test reads them.
fn holders_in_redis(server: &RedisServer, name: &str) -> usize {
    server
        .conn()
        .zcard(format!("ak:l:{{{name}}}:holders"))
        .unwrap()
}

/// Waits (bounded) until the holders in Redis number `expected`: releases
/// from drops run in the background.
async fn settle(server: &RedisServer, name: &str, expected: usize) {
    for _ in 0..500 {
        if holders_in_redis(server, name) == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "{} holders in Redis, expected {expected}",
        holders_in_redis(server, name)
    );
}

async fn verbs() {
    let server = RedisServer::start();
    let a = open(&server, "verbs", 2, 10_000).await;
    let b = open(&server, "verbs", 99, 10_000).await;
    assert_eq!(a.name(), "verbs");
    // The first open set the limit for both.
    assert_eq!(b.limit().await.unwrap(), 2);

    let first = a.acquire().await.unwrap();
    let second = b.try_acquire().await.unwrap();
    assert_eq!(a.in_use().await.unwrap(), 2);
    assert_eq!(holders_in_redis(&server, "verbs"), 2);
    assert!(matches!(a.try_acquire().await, Err(Error::NoSlot)));
    assert_eq!(Error::NoSlot.to_string(), "no slot of the limiter is free");
    assert!(first.is_held().await.unwrap());

    assert!(first.release().await.unwrap());
    assert_eq!(b.in_use().await.unwrap(), 1);
    assert_eq!(a.run(async { 7 }).await.unwrap(), 7);
    assert_eq!(async { 8 }.limited(&b).await.unwrap(), 8);
    drop(second);
    settle(&server, "verbs", 0).await;
    // Nobody holds a slot: no key is left for the holders.
    assert_eq!(server.cli(&["EXISTS", "ak:l:{verbs}:holders"]).trim(), "0");
}

#[tokio::test]
async fn verbs_current_thread() {
    verbs().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbs_multi_thread() {
    verbs().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_wakes_a_waiter_of_another_handle() {
    let server = RedisServer::start();
    let a = open(&server, "wake", 1, 3_600_000).await;
    let b = open(&server, "wake", 1, 3_600_000).await;
    let held = a.acquire().await.unwrap();
    let waiter = tokio::spawn(async move { b.acquire().await.map(drop) });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiter.is_finished(), "every slot is held");
    // With an hour-long lease, only the release's event can wake it.
    held.release().await.unwrap();
    tokio::time::timeout(Duration::from_secs(30), waiter)
        .await
        .expect("the release woke the waiter")
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn growing_the_limit_wakes_waiters_for_every_handle() {
    let server = RedisServer::start();
    let a = open(&server, "grow", 1, 3_600_000).await;
    let b = open(&server, "grow", 1, 3_600_000).await;
    let _held = a.acquire().await.unwrap();
    let waiter = tokio::spawn(async move { b.acquire().await.map(drop) });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiter.is_finished());
    a.set_limit(2).await.unwrap();
    tokio::time::timeout(Duration::from_secs(30), waiter)
        .await
        .expect("the new limit woke the waiter")
        .unwrap()
        .unwrap();
    assert_eq!(a.limit().await.unwrap(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_lease_is_renewed_in_the_background() {
    let server = RedisServer::start();
    let a = open(&server, "renew", 1, 300).await;
    let b = open(&server, "renew", 1, 300).await;
    let held = a.acquire().await.unwrap();
    // Several leases pass; the renewals keep the slot.
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(matches!(b.try_acquire().await, Err(Error::NoSlot)));
    }
    assert!(held.is_held().await.unwrap());
    drop(held);
    settle(&server, "renew", 0).await;
    b.try_acquire().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timed_out_and_cancelled_acquires_leave_nothing_in_redis() {
    let server = RedisServer::start();
    let limiter = open(&server, "cancel", 1, 10_000).await;
    let held = limiter.acquire().await.unwrap();

    let err = limiter
        .acquire_timeout(Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Elapsed(_)));
    assert_eq!(err.to_string(), "no slot of the limiter freed in time");
    let waiter = tokio::spawn({
        let limiter = limiter.clone();
        async move { limiter.acquire().await.map(drop) }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    waiter.abort();
    assert!(waiter.await.unwrap_err().is_cancelled());
    assert_eq!(holders_in_redis(&server, "cancel"), 1);
    held.release().await.unwrap();
    assert_eq!(holders_in_redis(&server, "cancel"), 0);

    // Acquires cancelled at every point, some while their script is in
    // flight and has taken the slot: none may keep it.
    for delay_us in (0..2_000).step_by(100) {
        let attempt = tokio::spawn({
            let limiter = limiter.clone();
            async move { limiter.acquire().await.map(std::mem::forget) }
        });
        tokio::time::sleep(Duration::from_micros(delay_us)).await;
        attempt.abort();
        if let Ok(result) = attempt.await {
            // It finished first; the forgotten permit holds its slot until
            // its lease ends, so end it by hand for the next round.
            result.unwrap();
            server.cli(&["DEL", "ak:l:{cancel}:holders"]);
        }
        settle(&server, "cancel", 0).await;
    }
}

/// Not a test of its own: the entry point of the child processes. Without
/// the role variable (a normal run) it returns at once.
#[test]
fn child_role() {
    let Some(role) = process::role() else {
        return;
    };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(play(&role));
}

async fn play(role: &str) {
    let redis = Redis::connect(&var("AK_URL")).await.unwrap();
    let limiter = RedisLimiter::builder(&var("AK_LIMITER"), var("AK_LIMIT").parse().unwrap())
        .lease(Duration::from_millis(var("AK_LEASE_MS").parse().unwrap()))
        .open(&redis)
        .await
        .unwrap();
    // The test's own count of holders, kept beside the limiter's.
    let client = redis::Client::open(var("AK_URL")).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    match role {
        // Takes a slot AK_ROUNDS times; inside, counts itself in and out of
        // the test's key and reports the count it saw.
        "holder" => {
            let rounds: usize = var("AK_ROUNDS").parse().unwrap();
            for _ in 0..rounds {
                let permit = limiter.acquire().await.unwrap();
                let inside: i64 = redis::cmd("INCR")
                    .arg("test:inside")
                    .query_async(&mut conn)
                    .await
                    .unwrap();
                report(format!("inside {inside}"));
                tokio::time::sleep(Duration::from_millis(5)).await;
                let _: i64 = redis::cmd("DECR")
                    .arg("test:inside")
                    .query_async(&mut conn)
                    .await
                    .unwrap();
                permit.release().await.unwrap();
            }
            report("done");
        }
        // Takes a slot and holds it until killed.
        "stuck" => {
            let _permit = limiter.acquire().await.unwrap();
            report("holding");
            tokio::time::sleep(process::CAP).await;
        }
        other => panic!("unknown role {other}"),
    }
}

fn vars(
    server: &RedisServer,
    name: &str,
    limit: usize,
    lease_ms: u64,
) -> HashMap<&'static str, String> {
    HashMap::from([
        ("AK_URL", server.url()),
        ("AK_LIMITER", name.to_owned()),
        ("AK_LIMIT", limit.to_string()),
        ("AK_LEASE_MS", lease_ms.to_string()),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_never_hold_more_than_five_slots() {
    let server = RedisServer::start();
    let mut env = vars(&server, "peak", 5, 10_000);
    env.insert("AK_ROUNDS", "40".to_owned());
    let workers: Vec<_> = (0..8)
        .map(|_| tokio::spawn(Worker::spawn("holder", &env).finish()))
        .collect();
    let mut peak = 0;
    let mut rounds = 0;
    for worker in workers {
        let reports = worker.await.unwrap();
        assert_eq!(reports.last().map(String::as_str), Some("done"));
        for line in &reports {
            if let Some(inside) = line.strip_prefix("inside ") {
                peak = peak.max(inside.parse::<i64>().unwrap());
                rounds += 1;
            }
        }
    }
    assert_eq!(rounds, 8 * 40);
    assert!(peak <= 5, "{peak} processes held a slot at once, limit 5");
    assert!(peak >= 2, "the processes did overlap (peak {peak})");
    assert_eq!(holders_in_redis(&server, "peak"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_holders_slot_returns_within_the_lease() {
    let server = RedisServer::start();
    let limiter = open(&server, "killed", 1, 300).await;
    let env = vars(&server, "killed", 1, 300);
    let mut stuck = Worker::spawn("stuck", &env);
    stuck.wait_for("holding").await;
    // Its renewals keep the slot across several leases.
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(matches!(limiter.try_acquire().await, Err(Error::NoSlot)));
    }
    stuck.kill_9().await;
    // Nothing releases it: the holders set expires with the lease, leaving
    // no key behind...
    wait_until_gone(&server, "ak:l:{killed}:holders").await;
    // ...and the waiter's look once per lease finds the slot free.
    let permit = tokio::time::timeout(process::CAP, limiter.acquire())
        .await
        .expect("the dead holder's slot came back")
        .unwrap();
    assert_eq!(holders_in_redis(&server, "killed"), 1);
    permit.release().await.unwrap();
}

/// Waits (bounded) until `key` no longer exists in Redis.
async fn wait_until_gone(server: &RedisServer, key: &str) {
    for _ in 0..500 {
        if server.cli(&["EXISTS", key]).trim() == "0" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{key} is still in Redis");
}

/// The limiter's keys in Redis, as the test lists them.
fn keys_of(server: &RedisServer, name: &str) -> Vec<String> {
    let mut keys: Vec<String> = server
        .cli(&["KEYS", &format!("ak:l:{{{name}}}:*")])
        .lines()
        .map(str::to_owned)
        .filter(|key| !key.is_empty())
        .collect();
    keys.sort();
    keys
}

async fn open_keyed(
    server: &RedisServer,
    name: &str,
    limit: usize,
    lease_ms: u64,
) -> RedisKeyedLimiter {
    let redis = Redis::connect(&server.url()).await.unwrap();
    RedisLimiter::builder(name, limit)
        .lease(Duration::from_millis(lease_ms))
        .open_keyed(&redis)
        .await
        .unwrap()
}

async fn keyed_limits_each_key_and_leaves_no_key_behind() {
    let server = RedisServer::start();
    let a = open_keyed(&server, "hosts", 2, 10_000).await;
    let b = open_keyed(&server, "hosts", 99, 10_000).await;
    assert_eq!((a.name(), b.limit().await.unwrap()), ("hosts", 2));

    // Two per host, across handles; other hosts are not affected.
    let x1 = a.acquire("x.example").await.unwrap();
    let x2 = b.try_acquire("x.example").await.unwrap();
    assert!(matches!(
        a.try_acquire("x.example").await,
        Err(Error::NoSlot)
    ));
    let y1 = b.acquire("y.example").await.unwrap();
    assert_eq!(a.in_use("x.example").await.unwrap(), 2);
    assert_eq!(a.in_use("y.example").await.unwrap(), 1);
    assert_eq!(a.in_use("z.example").await.unwrap(), 0);

    // A waiter on a full host is woken by a release in another handle.
    let waiter = tokio::spawn({
        let a = a.clone();
        async move { a.acquire("x.example").await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiter.is_finished());
    assert!(x1.release().await.unwrap());
    let x3 = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("the release woke the waiter")
        .unwrap();

    // The shared limit grows for every key.
    a.set_limit(3).await.unwrap();
    let x4 = b.try_acquire("x.example").await.unwrap();
    assert_eq!(b.in_use("x.example").await.unwrap(), 3);

    // Once every slot is released, only the shared limit is left in Redis.
    for permit in [x2, y1, x3, x4] {
        assert!(permit.release().await.unwrap());
    }
    assert_eq!(keys_of(&server, "hosts"), ["ak:l:{hosts}:limit"]);

    // Many hosts passing leave no key either, also when their permits are
    // dropped (released in the background) and their runs cancelled.
    for i in 0..200 {
        let host = format!("host-{i}.example");
        let permit = a.acquire(&host).await.unwrap();
        if i % 2 == 0 {
            drop(permit);
        } else {
            permit.release().await.unwrap();
        }
        let cancelled = tokio::time::timeout(
            Duration::from_millis(1),
            b.run(&host, tokio::time::sleep(Duration::from_secs(60))),
        )
        .await;
        assert!(cancelled.is_err());
    }
    for _ in 0..500 {
        if keys_of(&server, "hosts").len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(keys_of(&server, "hosts"), ["ak:l:{hosts}:limit"]);
}

#[tokio::test]
async fn keyed_limits_each_key_and_leaves_no_key_behind_current_thread() {
    keyed_limits_each_key_and_leaves_no_key_behind().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyed_limits_each_key_and_leaves_no_key_behind_multi_thread() {
    keyed_limits_each_key_and_leaves_no_key_behind().await;
}

/// A holder that stops without releasing (its runtime, and so its renewal
/// task, is gone, as in a dead process): its key's set expires with the
/// lease, and the slot is free again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_keyed_holder_leaves_no_key_after_its_lease() {
    let server = RedisServer::start();
    let url = server.url();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let redis = Redis::connect(&url).await.unwrap();
            let limiter = RedisLimiter::builder("dead", 1)
                .lease(Duration::from_millis(300))
                .open_keyed(&redis)
                .await
                .unwrap();
            std::mem::forget(limiter.acquire("x.example").await.unwrap());
        });
        // Dropping the runtime stops the permit's renewals; nothing released.
    })
    .join()
    .unwrap();
    let limiter = open_keyed(&server, "dead", 1, 300).await;
    assert_eq!(
        server.cli(&["EXISTS", "ak:l:{dead}:h:x.example"]).trim(),
        "1"
    );
    wait_until_gone(&server, "ak:l:{dead}:h:x.example").await;
    let permit = limiter.try_acquire("x.example").await.unwrap();
    permit.release().await.unwrap();
    assert_eq!(keys_of(&server, "dead"), ["ak:l:{dead}:limit"]);
}
