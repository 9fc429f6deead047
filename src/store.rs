//! Async file and database I/O: the tutorial's "异步文件读写及异步数据库操作".
//!
//! Files go through `tokio::fs`. SQLite has no async driver, so each query
//! runs off the async workers, on the blocking pool: the runtime keeps
//! serving other tasks while the disk works.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::io::AsyncWriteExt;

/// Appends `lines` to the file at `path`, creating it on first use.
pub async fn append_lines(path: &Path, lines: &[String]) -> io::Result<()> {
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .await?;
    for line in lines {
        file.write_all(line.as_bytes()).await?;
        file.write_all(b"\n").await?;
    }
    file.flush().await
}

/// Reads the file at `path` as lines.
pub async fn read_lines(path: &Path) -> io::Result<Vec<String>> {
    let text = tokio::fs::read_to_string(path).await?;
    Ok(text.lines().map(str::to_owned).collect())
}

/// A row of the `fetches` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The row id.
    pub id: i64,
    /// The URL fetched.
    pub url: String,
    /// The delay the server reported.
    pub delay: u64,
}

/// A SQLite database of fetch results, created on first use.
#[derive(Debug, Clone)]
pub struct Db {
    conn: Arc<Mutex<rusqlite::Connection>>,
    path: PathBuf,
}

fn to_io(err: rusqlite::Error) -> io::Error {
    io::Error::other(err)
}

impl Db {
    /// Opens (or creates) the database at `path`.
    pub async fn open(path: impl Into<PathBuf>) -> io::Result<Db> {
        let path = path.into();
        let opened = path.clone();
        let conn = blocking(move || {
            let conn = rusqlite::Connection::open(&opened).map_err(to_io)?;
            conn.execute_batch(
                "CREATE TABLE IF NOT EXISTS fetches (
                     id INTEGER PRIMARY KEY,
                     url TEXT NOT NULL,
                     delay INTEGER NOT NULL
                 )",
            )
            .map_err(to_io)?;
            Ok(conn)
        })
        .await?;
        Ok(Db {
            conn: Arc::new(Mutex::new(conn)),
            path,
        })
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stores one fetch result and returns its row id.
    pub async fn insert(&self, url: &str, delay: u64) -> io::Result<i64> {
        let conn = self.conn.clone();
        let url = url.to_owned();
        blocking(move || {
            let conn = conn.lock().expect("a query panicked");
            conn.execute(
                "INSERT INTO fetches (url, delay) VALUES (?1, ?2)",
                rusqlite::params![url, delay as i64],
            )
            .map_err(to_io)?;
            Ok(conn.last_insert_rowid())
        })
        .await
    }

    /// Returns the rows whose delay is at least `min_delay`, oldest first.
    pub async fn slower_than(&self, min_delay: u64) -> io::Result<Vec<Row>> {
        let conn = self.conn.clone();
        blocking(move || {
            let conn = conn.lock().expect("a query panicked");
            let mut query = conn
                .prepare("SELECT id, url, delay FROM fetches WHERE delay >= ?1 ORDER BY id")
                .map_err(to_io)?;
            let rows = query
                .query_map([min_delay as i64], |r| {
                    Ok(Row {
                        id: r.get(0)?,
                        url: r.get(1)?,
                        delay: r.get::<_, i64>(2)? as u64,
                    })
                })
                .map_err(to_io)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(to_io)
        })
        .await
    }
}

/// Runs SQLite's blocking calls on tokio's blocking pool through
/// `offload_blocking`, so they never stall the async workers, and a panic in
/// one comes back as an error instead of unwinding through the caller.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    async_kit::offload_blocking(f)
        .await
        .map_err(io::Error::other)?
}
