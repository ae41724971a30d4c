//! The event log writer (`slicesim run --event-log FILE`); the run's dispatcher
//! (`crate::run::dispatch`) is the one place that writes to it.
//!
//! Line format (`\n`-terminated, UTF-8):
//!
//! ```text
//! <time s.nnnnnnnnn> <seq> <event kind> <details>
//! ```
//!
//! Two runs of the same scenario and seed produce byte-identical logs, so `diff` shows the
//! first event where two runs diverge.

use super::time::{fmt_time, Nanos};
use std::io::Write;

/// One line of the log a subsystem hands to the dispatcher: what it did while handling the
/// event being dispatched (the dispatcher adds that event's `seq`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub time_ns: Nanos,
    pub kind: &'static str,
    pub details: String,
}

/// Optional event log. When disabled, logging costs one branch.
pub struct EventLog {
    out: Option<Box<dyn Write>>,
    lines: u64,
}

impl EventLog {
    pub fn disabled() -> Self {
        EventLog {
            out: None,
            lines: 0,
        }
    }

    pub fn to_writer(w: Box<dyn Write>) -> Self {
        EventLog {
            out: Some(w),
            lines: 0,
        }
    }

    pub fn enabled(&self) -> bool {
        self.out.is_some()
    }

    /// Log one processed event. `details` is only evaluated when tracing is on.
    pub fn log(
        &mut self,
        time_ns: Nanos,
        seq: u64,
        kind: &str,
        details: impl FnOnce() -> String,
    ) -> std::io::Result<()> {
        if let Some(w) = self.out.as_mut() {
            self.lines += 1;
            writeln!(w, "{} {} {} {}", fmt_time(time_ns), seq, kind, details())?;
        }
        Ok(())
    }

    /// Log one line a subsystem handed over ([`LogLine`]); `seq` is the dispatched event's, or
    /// `None` (written `-`) outside any event (set-up, the end of the run).
    pub fn log_line(
        &mut self,
        time_ns: Nanos,
        seq: Option<u64>,
        kind: &str,
        details: &str,
    ) -> std::io::Result<()> {
        if let Some(w) = self.out.as_mut() {
            self.lines += 1;
            match seq {
                Some(q) => writeln!(w, "{} {} {} {}", fmt_time(time_ns), q, kind, details)?,
                None => writeln!(w, "{} - {} {}", fmt_time(time_ns), kind, details)?,
            }
        }
        Ok(())
    }

    pub fn lines(&self) -> u64 {
        self.lines
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        if let Some(w) = self.out.as_mut() {
            w.flush()?;
        }
        Ok(())
    }
}
