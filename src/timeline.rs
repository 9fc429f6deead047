//! ASCII timelines of requests, like the tutorial's diagram:
//!
//! ```text
//! #0 |--5--|
//! #1       |---7---|
//! ```

use std::fmt::Write as _;
use std::time::Duration;

/// One request: when it started and ended, relative to the run's start,
/// and the delay the server reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bar {
    /// Start, from the beginning of the run.
    pub start: Duration,
    /// End, from the beginning of the run.
    pub end: Duration,
    /// The label written in the middle of the bar.
    pub label: u64,
}

/// Renders one line per bar, scaled so the whole run fits in `width`
/// columns.
pub fn render(bars: &[Bar], width: usize) -> String {
    let total = bars.iter().map(|b| b.end).max().unwrap_or_default();
    let scale = if total.is_zero() {
        0.0
    } else {
        width as f64 / total.as_secs_f64()
    };
    let col = |d: Duration| (d.as_secs_f64() * scale).round() as usize;
    let mut out = String::new();
    for (i, bar) in bars.iter().enumerate() {
        let label = bar.label.to_string();
        let from = col(bar.start);
        let inner = col(bar.end).saturating_sub(from).max(label.len() + 2) - 2;
        let dashes = inner - label.len();
        let left = dashes / 2;
        let _ = writeln!(
            out,
            "#{i:<3}{}|{}{label}{}|",
            " ".repeat(from),
            "-".repeat(left),
            "-".repeat(dashes - left)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_bars_follow_each_other() {
        let ms = Duration::from_millis;
        let bars = [
            Bar {
                start: ms(0),
                end: ms(50),
                label: 5,
            },
            Bar {
                start: ms(50),
                end: ms(120),
                label: 7,
            },
        ];
        let text = render(&bars, 24);
        let lines: Vec<&str> = text.lines().collect();
        // 24 columns for 120 ms: the first bar spans columns 0..10, the
        // second starts where the first ends and runs to column 24.
        assert_eq!(lines[0], "#0  |---5----|");
        assert_eq!(lines[1], "#1            |-----7------|");
    }
}
