//! Async files and the SQLite store.

use async_kit_examples::store::{self, Db};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("async-kit-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn files_append_and_read_back() {
    let dir = temp_dir("files");
    let path = dir.join("log.txt");
    store::append_lines(&path, &["a".into(), "b".into()])
        .await
        .unwrap();
    store::append_lines(&path, &["c".into()]).await.unwrap();
    assert_eq!(store::read_lines(&path).await.unwrap(), ["a", "b", "c"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_is_created_on_first_run_and_queried() {
    let dir = temp_dir("db");
    let path = dir.join("f.db");
    assert!(!path.exists());
    let db = Db::open(&path).await.unwrap();
    assert!(path.exists());
    let inserts = (0..50u64).map(|i| {
        let db = db.clone();
        async move { db.insert(&format!("u{i}"), i).await }
    });
    let ids = futures::future::try_join_all(inserts).await.unwrap();
    assert_eq!(ids.len(), 50);
    let slow = db.slower_than(45).await.unwrap();
    let delays: Vec<u64> = slow.iter().map(|r| r.delay).collect();
    let mut expected: Vec<u64> = (45..50).collect();
    let mut got = delays.clone();
    got.sort_unstable();
    expected.sort_unstable();
    assert_eq!(got, expected);

    // Reopening keeps the rows.
    drop(db);
    let again = Db::open(&path).await.unwrap();
    assert_eq!(again.slower_than(0).await.unwrap().len(), 50);
    std::fs::remove_dir_all(dir).unwrap();
}
