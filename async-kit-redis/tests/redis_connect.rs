//! Connecting: a real server answers, wrong URLs give clear errors, and the
//! harness's server really is a separate process that can be restarted.

mod support;

use std::error::Error as _;

use async_kit_redis::{Error, Redis};
use support::RedisServer;

#[tokio::test]
async fn connects_to_a_running_server() {
    let server = RedisServer::start();
    let redis = Redis::connect(&server.url()).await.unwrap();
    assert_eq!(redis.url(), server.url());
    assert!(format!("{redis:?}").contains(&server.url()));
    // The harness's own view of the same server.
    assert_eq!(server.cli(&["PING"]).trim(), "PONG");
}

#[tokio::test]
async fn nothing_listening_is_a_connect_error_naming_the_url() {
    // A server started and stopped leaves a port nobody listens on.
    let url = RedisServer::start().url();
    let err = Redis::connect(&url).await.unwrap_err();
    assert!(err.is_connection());
    match &err {
        Error::Connect { url: named, .. } => assert_eq!(named, &url),
        other => panic!("expected a connect error, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("cannot connect to redis at {url}: ")),
        "{message}"
    );
    assert!(err.source().is_some());
}

#[tokio::test]
async fn a_malformed_url_is_a_connect_error() {
    for url in ["http://127.0.0.1:6379", "127.0.0.1:6379", "redis://"] {
        let err = Redis::connect(url).await.unwrap_err();
        assert!(
            matches!(&err, Error::Connect { url: named, .. } if named == url),
            "{url}: {err:?}"
        );
        assert!(err.to_string().starts_with("cannot connect to redis at "));
    }
}

#[tokio::test]
async fn a_wrong_password_is_a_connect_error_that_hides_it() {
    let server = RedisServer::start();
    server.cli(&["CONFIG", "SET", "requirepass", "right"]);
    let url = format!("redis://:wrong@127.0.0.1:{}", server.port());
    let err = Redis::connect(&url).await.unwrap_err();
    let message = err.to_string();
    assert!(!message.contains("wrong"), "{message}");
    assert!(
        message.starts_with(&format!(
            "cannot connect to redis at redis://:***@127.0.0.1:{}",
            server.port()
        )),
        "{message}"
    );
    // The right password connects, and the handle's URL hides it too.
    let url = format!("redis://:right@127.0.0.1:{}", server.port());
    let redis = Redis::connect(&url).await.unwrap();
    assert_eq!(
        redis.url(),
        format!("redis://:***@127.0.0.1:{}", server.port())
    );
}

#[test]
fn the_harness_restarts_its_server_with_the_data_of_the_append_only_file() {
    let mut server = RedisServer::start_appendonly();
    server.cli(&["SET", "kept", "yes"]);
    let port = server.port();
    server.restart();
    assert_eq!(server.port(), port);
    assert_eq!(server.cli(&["GET", "kept"]).trim(), "yes");
}
