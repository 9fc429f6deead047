//! Runs the example programs themselves (cargo builds them for `cargo test`)
//! and checks what they print.

use std::process::{Command, Output};

mod examples_support;

use examples_support::example;

fn run(cmd: &mut Command) -> (Output, String) {
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, text)
}

#[test]
fn tour_runs_every_step_and_exits_0() {
    let (out, text) = run(&mut example("tour"));
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in [
        "== 1. sequential",
        "== 2. concurrent",
        "== 3. #[timeout(250ms)]",
        "== 4. limited",
        "== 5. pooled",
        "== 6. a queue",
        "== 7. done callbacks and wait()",
        "== 8. CPU work",
        "== 9. timers",
        "== 10. a file and SQLite",
        "== 11. a plain thread",
        "== 12. the line echo server",
        "== 13. resilient: retries with backoff",
        "== summary",
        "== the examples",
    ] {
        assert!(text.contains(step), "missing {step:?} in:\n{text}");
    }
    assert!(text.contains("sequential: 5 requests"), "{text}");
    assert!(text.contains("concurrent: 5 requests"), "{text}");
    assert!(text.contains("peak in flight: 3 (limit 3)"), "{text}");
    assert!(text.contains("0 panicked"), "{text}");
    assert!(
        text.contains("join() returned with 10 of 10 fetched"),
        "{text}"
    );
    assert!(
        text.contains("100 clients at once: 500 lines echoed, 0 failed"),
        "{text}"
    );
    assert!(text.contains("cancel() of a 60 ms timer: true"), "{text}");
    // The seeded server hands out five 503s before the sixth 200, however
    // the attempts interleave: six attempts each, backoffs capped at 400 ms
    // and a 3 s deadline get every request through.
    assert!(text.contains("succeeded: 6 of 6 in "), "{text}");
    assert!(
        text.contains("gave up: 0 (at the deadline 0, attempts exhausted 0"),
        "{text}"
    );
    assert!(!text.contains("never printed"), "{text}");
    // Inline, the CPU work holds the only thread: the ticker cannot run.
    let offloaded = text
        .split_once("ticker ticked: inline 0, offloaded ")
        .and_then(|(_, rest)| rest.split_once(' '))
        .map(|(n, _)| n.parse::<u64>().unwrap())
        .expect("inline work stops the ticker");
    assert!(offloaded > 0, "{text}");
    let pooled_peak = text
        .split_once("peak in flight: ")
        .and_then(|(_, rest)| rest.split_once("peak in flight: "))
        .and_then(|(_, rest)| rest.split_once(' '))
        .map(|(n, _)| n.parse::<usize>().unwrap())
        .expect("the pooled run prints its peak");
    assert!((1..=4).contains(&pooled_peak), "{text}");
    // Five timeline bars per run.
    assert!(
        text.lines().filter(|l| l.starts_with("#4 ")).count() >= 2,
        "{text}"
    );
}

#[test]
fn timeout_example_shows_own_and_inherited_deadlines() {
    let (out, text) = run(&mut example("timeout"));
    assert!(out.status.success());
    assert!(
        text.contains("fetch(100ms): answered after 100ms"),
        "{text}"
    );
    assert!(
        text.contains("fetch(400ms): deadline has elapsed"),
        "{text}"
    );
    assert!(
        text.contains("batch fetch 2: deadline inherited from the caller has elapsed"),
        "{text}"
    );
}

#[test]
fn hello_run_prints_both_greetings() {
    let (out, text) = run(&mut example("hello_run"));
    assert!(out.status.success());
    assert!(text.contains("hello after 100ms"), "{text}");
    assert!(text.contains("world after 200ms"), "{text}");
}

#[test]
fn files_and_db_creates_its_database_on_first_run() {
    let dir = std::env::temp_dir().join(format!("async-kit-example-db-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (out, text) = run(example("files_and_db")
        .args(["--rows", "7", "--dir"])
        .arg(&dir));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("appended 7 lines"), "{text}");
    assert!(text.contains("inserted 7 rows"), "{text}");
    assert!(dir.join("fetches.db").exists());
    // A second run appends to the same log and database.
    let (_, text) = run(example("files_and_db")
        .args(["--rows", "3", "--dir"])
        .arg(&dir));
    assert!(text.contains("the log now has 10 lines"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn flags_are_checked_and_help_exits_0() {
    for name in [
        "aio_server",
        "echo_raw",
        "echo_server",
        "echo_client",
        "fetch_concurrent",
        "files_and_db",
    ] {
        let (out, text) = run(example(name).arg("--help"));
        assert!(out.status.success(), "{name} --help");
        assert!(text.starts_with("usage:"), "{name}: {text}");
        let out = example(name).arg("--no-such-flag").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{name} with a bad flag");
        assert!(String::from_utf8_lossy(&out.stderr).contains("error:"));
    }
}

#[test]
fn runtimes_runs_the_program_on_both_schedulers() {
    let (out, text) = run(&mut example("runtimes"));
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (ct, mt) = text
        .split_once("== multi-thread runtime")
        .expect("both runs are printed");
    assert!(ct.contains("== current-thread runtime"), "{text}");
    for run in [ct, mt] {
        assert!(run.contains("5 of 5 fetches answered"), "{text}");
    }
    // One thread polls everything on the current-thread runtime, so nothing
    // ticks while a task blocks it.
    assert!(ct.contains("100 tasks ran on 1 thread(s)"), "{text}");
    assert!(ct.contains("the ticker ticked 0 time(s)"), "{text}");
}

#[test]
fn fetch_callbacks_runs_callbacks_and_cancels_what_the_budget_misses() {
    let (out, text) = run(example("fetch_callbacks").args(["-n", "6", "--delay", "40..400"]));
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("all 6 back after"), "{text}");
    // Every one of the six tasks reports its end through a callback, either
    // answered within the budget or cancelled after it.
    let ends = text
        .lines()
        .filter(|l| l.contains("task #") && l.contains("callback:"))
        .count();
    assert_eq!(ends, 6, "{text}");
    let cancelled = text.matches("callback: cancelled").count();
    assert!(
        text.contains(&format!("cancelled {cancelled} late task(s)")),
        "{text}"
    );
}

#[test]
fn timers_run_in_deadline_order_and_cancelled_ones_never_run() {
    let (out, text) = run(example("timers").args(["--unit", "100ms"]));
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("never printed"), "{text}");
    assert!(
        text.contains("cancel() of the 2-unit timer: true"),
        "{text}"
    );
    assert!(
        text.contains("cancelled the second from another thread: true"),
        "{text}"
    );
    let at = |what: &str| {
        text.find(what)
            .unwrap_or_else(|| panic!("missing {what:?} in:\n{text}"))
    };
    // One driver runs these, in deadline order, same-instant ones in the
    // order they were scheduled.
    let order = [
        "call_soon",
        "call_at(1), scheduled first",
        "call_at(1), scheduled second",
        "first at 2",
        "call_later(3 units)",
        "moved from 1 to 4",
    ];
    for pair in order.windows(2) {
        assert!(at(pair[0]) < at(pair[1]), "{pair:?} out of order:\n{text}");
    }
    assert_eq!(
        text.matches("call_every(1 unit): tick").count(),
        3,
        "{text}"
    );
}

#[test]
fn fetch_queue_workers_handle_every_url_before_join_returns() {
    let (out, text) = run(&mut example("fetch_queue"));
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("20 fetched, 0 failed"), "{text}");
    let per_worker: usize = text
        .lines()
        .filter_map(|l| l.strip_prefix("worker "))
        .filter_map(|l| l.split_once(": ")?.1.strip_suffix(" fetches"))
        .map(|n| n.parse::<usize>().unwrap())
        .sum();
    assert_eq!(per_worker, 20, "{text}");
}

#[test]
fn cpu_offload_starves_the_ticker_inline_and_not_offloaded() {
    let (out, text) = run(&mut example("cpu_offload"));
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // On one thread, nothing else runs while the job runs inline; the
    // detector names the culprit.
    assert!(text.contains("ticks during the job: inline 0"), "{text}");
    assert!(text.contains("poll 1 of `inline burn` took"), "{text}");
    assert!(text.contains("16 results"), "{text}");
}

#[test]
fn dynamic_tasks_gets_an_end_for_every_request_a_thread_submits() {
    let (out, text) = run(&mut example("dynamic_tasks"));
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let submitted = text.matches("from a plain thread").count();
    let ended = text
        .lines()
        .filter(|l| {
            l.starts_with("request ") && (l.contains("answered") || l.contains("cancelled"))
        })
        .count();
    assert!(submitted > 0, "{text}");
    assert_eq!(submitted, ended, "{text}");
}

#[test]
fn fetch_limited_never_has_more_than_the_limit_in_flight() {
    let (out, text) = run(&mut example("fetch_limited"));
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("limited to 3: 12 requests"), "{text}");
    assert!(text.contains("peak in flight: 3 (limit 3)"), "{text}");
}

#[test]
fn fetch_pool_fetches_every_url_through_the_pool() {
    let (out, text) = run(&mut example("fetch_pool"));
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("100 ok, 0 failed"), "{text}");
    assert!(text.contains("peak running 10, 0 panicked"), "{text}");
}

#[test]
fn task_group_cancels_the_siblings_of_a_failing_fetch() {
    // Every other fetch answers after at least 300 ms, long after fetch #1
    // fails at 20 ms: all four are cancelled because of it.
    let (out, text) = run(example("task_group").args([
        "-n",
        "5",
        "--delay",
        "300..400",
        "--fail",
        "1",
        "--fail-after",
        "20ms",
        "--timeout",
        "10s",
    ]));
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("fetch #1 failed: child failed: "), "{text}");
    assert!(text.contains("404 Not Found"), "{text}");
    assert!(
        text.contains("cancelled because of it: [0, 2, 3, 4]"),
        "{text}"
    );
    assert_eq!(text.matches("  cancelled").count(), 4, "{text}");
}

#[test]
fn task_group_children_stop_at_the_inherited_deadline() {
    // Nobody fails, but every fetch takes longer than the deadline.
    let (out, text) = run(example("task_group").args([
        "-n",
        "3",
        "--delay",
        "2000..3000",
        "--fail",
        "never",
        "--timeout",
        "100ms",
    ]));
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text.matches("stopped at the deadline (deadline inherited from the caller has elapsed)")
            .count(),
        3,
        "{text}"
    );
}

#[test]
fn zero_limits_and_timeouts_are_refused_everywhere() {
    for (name, args) in [
        ("fetch_pool", &["--limit", "0"][..]),
        ("fetch_limited", &["--limit", "0"][..]),
        ("fetch_queue", &["-k", "0"][..]),
        ("fetch_queue", &["--capacity", "0"][..]),
        ("echo_server", &["--max-connections", "0"][..]),
        ("echo_server", &["--idle", "0s"][..]),
        ("echo_server", &["--max-line", "0"][..]),
        ("aio_server", &["--max-in-flight", "0"][..]),
        ("fetch_resilient", &["--concurrency", "0"][..]),
        ("fetch_resilient", &["--attempts", "0"][..]),
        ("fetch_resilient", &["--deadline", "0s"][..]),
    ] {
        let out = example(name).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{name} {args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("is zero"), "{name} {args:?}: {stderr}");
    }
}

#[test]
fn a_bad_url_is_refused_before_any_request() {
    for name in [
        "fetch_pool",
        "fetch_limited",
        "fetch_queue",
        "fetch_concurrent",
    ] {
        let out = example(name)
            .args(["--url", "127.0.0.1:3000/aio"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("invalid URL \"127.0.0.1:3000/aio\""),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn fail_rates_outside_zero_to_one_are_refused() {
    for name in ["fetch_resilient", "aio_server"] {
        for rate in ["1.5", "-0.2", "NaN"] {
            let out = example(name).args(["--fail-rate", rate]).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{name} {rate}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains("is out of range"),
                "{name} {rate}: {stderr}"
            );
        }
    }
    let out = example("fetch_resilient")
        .args(["--url", "http://127.0.0.1:3000/aio", "--fail-rate", "0.5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no effect with --url"), "{stderr}");
}

/// The rows of a `fetch_resilient` timeline: `#N  ` then marks.
fn timeline_rows(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with('#')).collect()
}

#[test]
fn fetch_resilient_without_failures_succeeds_at_the_first_attempt() {
    let (out, text) = run(example("fetch_resilient").args(["--fail-rate", "0", "-n", "8"]));
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = timeline_rows(&text);
    assert_eq!(rows.len(), 8, "{text}");
    for row in rows {
        assert!(!row.contains('x'), "{text}");
        assert_eq!(row.matches('|').count(), 2, "one bar per row: {text}");
    }
    assert!(text.contains("succeeded: 8 of 8"), "{text}");
    assert!(text.contains("(8 attempts)"), "{text}");
    assert!(text.contains("gave up: 0 "), "{text}");
}

#[test]
fn fetch_resilient_retries_failures_until_they_succeed() {
    // Half the answers are 503 with no Retry-After: the backoff retries
    // them. The server's draws are seeded, so however the attempts
    // interleave, the 503s handed out before the tenth 200 are a fixed
    // number (7 for seed 3): 8 attempts per request and a roomy deadline
    // let every request through, whatever the order.
    let (out, text) = run(example("fetch_resilient").args([
        "--fail-rate",
        "0.5",
        "--seed",
        "3",
        "--attempts",
        "8",
        "--deadline",
        "10s",
    ]));
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = timeline_rows(&text);
    assert_eq!(rows.len(), 10, "{text}");
    assert!(rows.iter().any(|r| r.contains('x')), "{text}");
    for row in &rows {
        // Failures first, then exactly one bar at the end.
        let marks = row[4..].trim_end();
        assert!(marks.ends_with('|'), "{text}");
        assert_eq!(marks.matches('|').count(), 2, "{text}");
        assert!(!marks[marks.find('|').unwrap()..].contains('x'), "{text}");
    }
    assert!(text.contains("succeeded: 10 of 10"), "{text}");
}

#[test]
fn fetch_resilient_gives_up_at_the_deadline_and_says_so() {
    // Nine in ten answers are 503 with Retry-After 1 s, but the whole run
    // has 500 ms: a retry that would wait past the deadline gives up at
    // once, with the deadline as its reason.
    let (out, text) = run(example("fetch_resilient").args([
        "--fail-rate",
        "0.9",
        "--retry-after",
        "1",
        "--deadline",
        "500ms",
        "--seed",
        "1",
        "-n",
        "8",
    ]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}\n{stderr}");
    let summary = text
        .lines()
        .find(|l| l.starts_with("gave up: "))
        .unwrap_or_else(|| panic!("no summary: {text}"));
    let at_deadline: usize = summary
        .split("at the deadline ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{summary}"));
    assert!(at_deadline > 0, "{text}");
    assert!(
        text.contains("not enough time left before the deadline (last error: 503 service unavailable, retry after 1s)"),
        "{text}"
    );
    assert!(stderr.contains("requests failed"), "{stderr}");
}

#[test]
fn delay_with_url_is_refused() {
    for name in ["fetch_queue", "fetch_callbacks"] {
        let out = example(name)
            .args(["--url", "http://127.0.0.1:3000/aio", "--delay", "1..2"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("no effect with --url"), "{name}: {stderr}");
    }
}

#[test]
fn failed_requests_exit_1_and_name_the_cause() {
    // Nothing listens on a port just freed by the OS.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/aio");
    for name in [
        "fetch_pool",
        "fetch_limited",
        "fetch_queue",
        "fetch_concurrent",
        "fetch_resilient",
    ] {
        let out = example(name)
            .args(["--url", &url, "-n", "3"])
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(1), "{name}: {all}");
        assert!(
            all.contains(&format!("connection refused by 127.0.0.1:{port}")),
            "{name}: {all}"
        );
        assert!(all.contains("requests failed"), "{name}: {all}");
    }
}

#[test]
fn the_in_process_server_s_delays_are_reported_in_ms() {
    let (out, text) = run(example("fetch_pool").args(["-n", "5"]));
    assert!(out.status.success(), "{text}");
    assert!(text.contains("delays add up to "), "{text}");
    assert!(text.contains(" ms\n"), "{text}");
}
