//! The one place where processed events are logged (`slicesim run --trace-events FILE`).
//!
//! Line format (one line per processed event, `\n`-terminated, UTF-8):
//!
//! ```text
//! <time s.nnnnnnnnn> <seq> <event kind> <details>
//! ```
//!
//! Two runs of the same scenario and seed produce byte-identical traces, so `diff` shows the
//! first event where two runs diverge.

use super::time::{fmt_time, Nanos};
use std::io::Write;

/// Optional event log. When disabled, logging costs one branch.
pub struct TraceLog {
    out: Option<Box<dyn Write>>,
    lines: u64,
}

impl TraceLog {
    pub fn disabled() -> Self {
        TraceLog {
            out: None,
            lines: 0,
        }
    }

    pub fn to_writer(w: Box<dyn Write>) -> Self {
        TraceLog {
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
