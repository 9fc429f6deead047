//! Small helpers shared by the examples' command lines.

use std::ops::RangeInclusive;
use std::time::Duration;

/// Parses `1..30`, `1..=30` or `5` into an inclusive range.
pub fn parse_range(text: &str) -> Result<RangeInclusive<u64>, String> {
    let bad = || format!("invalid range {text:?}: expected LOW..HIGH, as in 1..30");
    let (low, high) = match text.split_once("..") {
        Some((low, high)) => (low, high.trim_start_matches('=')),
        None => (text, text),
    };
    let low: u64 = low.trim().parse().map_err(|_| bad())?;
    let high: u64 = high.trim().parse().map_err(|_| bad())?;
    if low > high {
        return Err(bad());
    }
    Ok(low..=high)
}

/// Parses `250ms`, `2s`, `1m` into a duration.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration {text:?}: expected a number with ms, s or m");
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let n: u64 = digits.parse().map_err(|_| bad())?;
    match &text[digits.len()..] {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(bad()),
    }
}

/// Parses a count that must be above zero (a limit, a number of workers):
/// zero would make the program wait forever, so it is refused here.
pub fn parse_positive(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err(format!("{text:?} is zero: expected a number above zero")),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("invalid value {text:?}: {e}")),
    }
}

/// Parses a duration as [`parse_duration`] does, refusing zero (a timeout of
/// zero would close everything at once).
pub fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    if duration.is_zero() {
        return Err(format!("{text:?} is zero: expected a duration above zero"));
    }
    Ok(duration)
}

/// Parses a fraction in `0.0..=1.0` (a fail rate, as in `0.3`); anything
/// outside, NaN included, is refused.
pub fn parse_fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        Ok(_) => Err(format!(
            "{text:?} is out of range: expected a fraction from 0 to 1, as in 0.3"
        )),
        Err(e) => Err(format!("invalid value {text:?}: {e}")),
    }
}

/// Parses an absolute `http://` or `https://` URL, so that a typo is
/// refused at once instead of failing every request.
pub fn parse_url(text: &str) -> Result<String, String> {
    match reqwest::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {
            Ok(text.to_string())
        }
        Ok(url) => Err(format!(
            "invalid URL {text:?}: expected http:// or https:// and a host, not {}:",
            url.scheme()
        )),
        Err(e) => Err(format!("invalid URL {text:?}: {e}")),
    }
}

/// Parses a Redis server's URL (`redis://HOST[:PORT][/DB]`, `rediss://` for
/// TLS, or `unix:///path/to/socket`), so that a typo is refused at once
/// with the URL named, before any connection is tried.
pub fn parse_redis_url(text: &str) -> Result<String, String> {
    match reqwest::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "redis" | "rediss") && url.has_host() => {
            Ok(text.to_string())
        }
        Ok(url) if matches!(url.scheme(), "unix" | "redis+unix") && !url.path().is_empty() => {
            Ok(text.to_string())
        }
        Ok(url) => Err(format!(
            "invalid redis URL {text:?}: expected redis://HOST:PORT (or rediss://, unix://), not {}:",
            url.scheme()
        )),
        Err(e) => Err(format!(
            "invalid redis URL {text:?}: {e} (expected redis://HOST:PORT)"
        )),
    }
}

/// Parses a queue's name: not empty, and printable without spaces, so that
/// it reads the same on every command line that must repeat it.
pub fn parse_queue_name(text: &str) -> Result<String, String> {
    if text.is_empty() {
        return Err("the queue name is empty".to_string());
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "invalid queue name {text:?}: no spaces or control characters"
        ));
    }
    Ok(text.to_string())
}

/// A command line: lexopt's parser that prints the usage on `--help` and
/// exits with a clear message on a bad flag or value.
#[derive(Debug)]
pub struct Args {
    parser: lexopt::Parser,
    usage: &'static str,
}

impl Args {
    /// The process's arguments.
    pub fn from_env(usage: &'static str) -> Self {
        Args {
            parser: lexopt::Parser::from_env(),
            usage,
        }
    }

    /// The next flag; `--help` prints the usage and exits.
    pub fn next_flag(&mut self) -> Option<lexopt::Arg<'_>> {
        let usage = self.usage;
        match self.parser.next() {
            Ok(Some(lexopt::Arg::Long("help") | lexopt::Arg::Short('h'))) => {
                println!("{usage}");
                std::process::exit(0)
            }
            Ok(arg) => arg,
            Err(err) => exit_with(usage, err),
        }
    }

    /// The value of the current flag, converted with `parse`.
    pub fn value_with<T>(&mut self, parse: impl FnOnce(&str) -> Result<T, String>) -> T {
        let raw = match self.parser.value() {
            Ok(raw) => raw,
            Err(err) => self.fail(err),
        };
        match raw
            .to_str()
            .ok_or_else(|| "value is not UTF-8".to_string())
            .and_then(parse)
        {
            Ok(value) => value,
            Err(msg) => self.fail(msg),
        }
    }

    /// The value of the current flag, parsed with `FromStr`.
    pub fn value<T: std::str::FromStr>(&mut self) -> T
    where
        T::Err: std::fmt::Display,
    {
        self.value_with(|s| s.parse().map_err(|e| format!("invalid value {s:?}: {e}")))
    }

    /// Exits with the usage and `err`.
    pub fn fail(&self, err: impl std::fmt::Display) -> ! {
        exit_with(self.usage, err)
    }
}

fn exit_with(usage: &str, err: impl std::fmt::Display) -> ! {
    eprintln!("error: {err}\n\n{usage}");
    std::process::exit(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_durations() {
        assert_eq!(parse_range("1..30"), Ok(1..=30));
        assert_eq!(parse_range("1..=30"), Ok(1..=30));
        assert_eq!(parse_range("7"), Ok(7..=7));
        assert!(parse_range("9..3").is_err());
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("2 parsecs").is_err());
        assert_eq!(parse_positive("3"), Ok(3));
        assert!(parse_positive("0").unwrap_err().contains("zero"));
        assert!(parse_positive("-1").is_err());
        assert!(parse_url("http://127.0.0.1:3000/aio").is_ok());
        assert!(parse_url("127.0.0.1:3000/aio").is_err());
        assert!(parse_url("not a url").unwrap_err().contains("invalid URL"));
        assert_eq!(parse_positive_duration("1s"), Ok(Duration::from_secs(1)));
        assert!(parse_positive_duration("0s").unwrap_err().contains("zero"));
        assert!(parse_redis_url("redis://127.0.0.1:6379").is_ok());
        assert!(parse_redis_url("redis://127.0.0.1").is_ok());
        assert!(parse_redis_url("unix:///run/redis.sock").is_ok());
        let err = parse_redis_url("http://127.0.0.1:6379").unwrap_err();
        assert!(err.contains("\"http://127.0.0.1:6379\""), "{err}");
        assert!(err.contains("not http:"), "{err}");
        assert!(parse_redis_url("127.0.0.1:6379").is_err());
        assert!(
            parse_redis_url("redis//x")
                .unwrap_err()
                .contains("invalid redis URL")
        );
        assert_eq!(parse_queue_name("jobs"), Ok("jobs".to_string()));
        assert!(parse_queue_name("").unwrap_err().contains("empty"));
        assert!(parse_queue_name("my jobs").is_err());
    }

    #[test]
    fn fail_rates_outside_zero_to_one_are_refused() {
        assert_eq!(parse_fraction("0"), Ok(0.0));
        assert_eq!(parse_fraction("1"), Ok(1.0));
        assert_eq!(parse_fraction("0.25"), Ok(0.25));
        assert!(parse_fraction("1.5").unwrap_err().contains("from 0 to 1"));
        assert!(parse_fraction("-0.1").unwrap_err().contains("from 0 to 1"));
        assert!(parse_fraction("NaN").is_err());
        assert!(
            parse_fraction("half")
                .unwrap_err()
                .contains("invalid value")
        );
    }
}
