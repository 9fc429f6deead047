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

/// One mark on a row of attempts: a failed attempt, drawn `x` where it
/// started, or a bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// An attempt that failed, at its start from the beginning of the run.
    Failed(Duration),
    /// An attempt that succeeded.
    Bar(Bar),
}

impl Mark {
    fn start(&self) -> Duration {
        match self {
            Mark::Failed(at) => *at,
            Mark::Bar(bar) => bar.start,
        }
    }

    fn end(&self) -> Duration {
        match self {
            Mark::Failed(at) => *at,
            Mark::Bar(bar) => bar.end,
        }
    }
}

/// Renders one line per bar, scaled so the whole run fits in `width`
/// columns.
pub fn render(bars: &[Bar], width: usize) -> String {
    let rows: Vec<[Mark; 1]> = bars.iter().map(|bar| [Mark::Bar(*bar)]).collect();
    render_rows(&rows, width)
}

/// Renders one line per row of marks (the attempts of one request, in the
/// order they ran), scaled so the whole run fits in `width` columns:
///
/// ```text
/// #0  x  x   |--5--|
/// #1  |---7---|
/// ```
///
/// Marks never overwrite each other: one that would start inside the
/// previous one is pushed right, just after it.
pub fn render_rows<R: AsRef<[Mark]>>(rows: &[R], width: usize) -> String {
    let total = rows
        .iter()
        .flat_map(|row| row.as_ref().iter().map(Mark::end))
        .max()
        .unwrap_or_default();
    let scale = if total.is_zero() {
        0.0
    } else {
        width as f64 / total.as_secs_f64()
    };
    let col = |d: Duration| (d.as_secs_f64() * scale).round() as usize;
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let mut line = String::new();
        for mark in row.as_ref() {
            let from = col(mark.start()).max(line.len());
            line.push_str(&" ".repeat(from - line.len()));
            match mark {
                Mark::Failed(_) => line.push('x'),
                Mark::Bar(bar) => {
                    let label = bar.label.to_string();
                    let inner = col(bar.end).saturating_sub(from).max(label.len() + 2) - 2;
                    let dashes = inner - label.len();
                    let left = dashes / 2;
                    let _ = write!(
                        line,
                        "|{}{label}{}|",
                        "-".repeat(left),
                        "-".repeat(dashes - left)
                    );
                }
            }
        }
        let _ = writeln!(out, "#{i:<3}{line}");
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

    #[test]
    fn failed_attempts_are_xs_before_the_bar_and_never_overlap() {
        let ms = Duration::from_millis;
        let rows = [
            vec![
                Mark::Failed(ms(0)),
                // Starts in the same column as the x: pushed right of it.
                Mark::Failed(ms(1)),
                Mark::Bar(Bar {
                    start: ms(40),
                    end: ms(100),
                    label: 3,
                }),
            ],
            vec![Mark::Bar(Bar {
                start: ms(0),
                end: ms(20),
                label: 9,
            })],
            vec![],
        ];
        let text = render_rows(&rows, 20);
        let lines: Vec<&str> = text.lines().collect();
        // 20 columns for 100 ms: the bar spans columns 8..20.
        assert_eq!(lines[0], "#0  xx      |----3-----|");
        assert_eq!(lines[1], "#1  |9-|");
        assert_eq!(lines[2], "#2  ");
    }
}
