//! Validation errors with their location, rendered rustc/ripgrep style:
//!
//! ```text
//! error: scenarios/x.toml:12:12: events[3].replicas: 1001 is out of range (allowed: 0..=1000)
//!    |
//! 12 | replicas = 1001
//!    |            ^^^^
//! ```
//!
//! Errors that come from a `--set` override name the override instead of a file line.

use super::tree::Origin;

/// One problem found in a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diag {
    pub origin: Origin,
    /// Field path such as `events[3].replicas` (empty for whole-document problems).
    pub path: String,
    /// What is wrong, including the bad value and what is allowed.
    pub msg: String,
}

/// Collected problems of one scenario.
#[derive(Debug, Default)]
pub struct Diags {
    pub list: Vec<Diag>,
}

impl Diags {
    pub fn push(&mut self, origin: &Origin, path: &str, msg: impl Into<String>) {
        self.list.push(Diag {
            origin: origin.clone(),
            path: path.to_string(),
            msg: msg.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// 1-based (line, column) of a byte offset; columns count characters.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let mut off = offset;
    while off > 0 && !src.is_char_boundary(off) {
        off -= 1;
    }
    let before = &src[..off];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// Render all problems of one file into one message.
pub fn render(diags: &[Diag], file: &str, src: &str, overrides: &[String]) -> String {
    /// A template error repeated over thousands of `copies` must not flood the terminal.
    const MAX_SHOWN_ERRORS: usize = 50;
    let mut out = String::new();
    for (i, d) in diags.iter().take(MAX_SHOWN_ERRORS).enumerate() {
        if i > 0 {
            // Callers print the first block after their own "error: ".
            out.push_str("\nerror: ");
        }
        render_one(&mut out, d, file, src, overrides);
    }
    if diags.len() > MAX_SHOWN_ERRORS {
        out.push_str(&format!(
            "\n… {} more not shown",
            diags.len() - MAX_SHOWN_ERRORS
        ));
    }
    if diags.len() > 1 {
        out.push_str(&format!("\n{} errors in {file}", diags.len()));
    }
    out
}

fn render_one(out: &mut String, d: &Diag, file: &str, src: &str, overrides: &[String]) {
    let path = if d.path.is_empty() {
        String::new()
    } else {
        format!("{}: ", d.path)
    };
    match &d.origin {
        Origin::File(span) => {
            let (line, col) = line_col(src, span.start);
            out.push_str(&format!("{file}:{line}:{col}: {path}{}\n", d.msg));
            let full = src.lines().nth(line - 1).unwrap_or("");
            let gutter = line.to_string().len();
            let pad = " ".repeat(gutter);
            // Very long lines are shown as a window around the column.
            let (text, start_col) = window(full, col - 1);
            let text = text.as_str();
            // Underline the span, limited to the first line of it.
            let line_chars = text.chars().count();
            let span_chars = src
                .get(span.start..span.end.min(src.len()))
                .map(|s| s.lines().next().unwrap_or("").chars().count())
                .unwrap_or(1)
                .max(1);
            let width = span_chars.min(line_chars.saturating_sub(start_col).max(1));
            out.push_str(&format!("{pad} |\n{line} | {text}\n{pad} | "));
            out.push_str(&" ".repeat(start_col));
            out.push_str(&"^".repeat(width));
            out.push('\n');
        }
        Origin::Override(i) => {
            let spec = overrides.get(*i).map(String::as_str).unwrap_or("?");
            out.push_str(&format!("{file}: --set {spec}: {path}{}\n", d.msg));
        }
        Origin::Unknown => {
            out.push_str(&format!("{file}: {path}{}\n", d.msg));
        }
    }
}

/// Show at most `MAX_SHOWN` characters of a source line around character `col0`;
/// returns the shown text and the column within it.
fn window(line: &str, col0: usize) -> (String, usize) {
    const MAX_SHOWN: usize = 160;
    let n = line.chars().count();
    if n <= MAX_SHOWN {
        return (line.to_string(), col0);
    }
    let start = col0
        .saturating_sub(MAX_SHOWN / 2)
        .min(n.saturating_sub(MAX_SHOWN));
    let shown: String = line.chars().skip(start).take(MAX_SHOWN).collect();
    if start == 0 {
        (format!("{shown}…"), col0)
    } else {
        (format!("…{shown}…"), col0 - start + 1)
    }
}

/// The closest known name to `given`, if close enough to be a useful suggestion.
/// Case and `_`/`-` differences (e.g. `ipFamilies` vs `ip_families`) always match; otherwise
/// the candidate with the smallest edit distance (transpositions count 1) within a third of
/// its length wins, ties broken by the order of `known`.
pub fn suggest<'a>(given: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let g = norm(given);
    let mut best: Option<(usize, &str)> = None;
    for k in known {
        let nk = norm(k);
        let dist = if nk == g {
            0
        } else {
            strsim::damerau_levenshtein(&g, &nk)
        };
        let limit = (nk.chars().count() / 3).max(1);
        if dist <= limit && best.is_none_or_worse(dist) {
            best = Some((dist, k));
        }
    }
    best.map(|(_, k)| k)
}

trait BestExt {
    fn is_none_or_worse(&self, dist: usize) -> bool;
}

impl BestExt for Option<(usize, &str)> {
    fn is_none_or_worse(&self, dist: usize) -> bool {
        match self {
            None => true,
            Some((d, _)) => *d > dist,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars() {
        let src = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_col(src, 0), (1, 1));
        let off = src.find('"').unwrap();
        assert_eq!(line_col(src, off), (2, 6));
    }

    #[test]
    fn renders_snippet_with_caret() {
        let src = "[x]\nreplicas = 1001\n";
        let start = src.find("1001").unwrap();
        let d = Diag {
            origin: Origin::File(start..start + 4),
            path: "x.replicas".into(),
            msg: "1001 is out of range (allowed: 1..=1000)".into(),
        };
        let s = render(&[d], "f.toml", src, &[]);
        assert_eq!(
            s,
            "f.toml:2:12: x.replicas: 1001 is out of range (allowed: 1..=1000)\n  |\n2 | replicas = 1001\n  |            ^^^^\n"
        );
    }

    #[test]
    fn long_lines_are_windowed_around_the_error() {
        let src = format!("a = [{}\"x\"]\n", "1, ".repeat(500));
        let start = src.find('"').unwrap();
        let d = Diag {
            origin: Origin::File(start..start + 3),
            path: "a[500]".into(),
            msg: "bad".into(),
        };
        let s = render(&[d], "f.toml", &src, &[]);
        let snippet = s.lines().nth(2).unwrap();
        let caret = s.lines().nth(3).unwrap();
        assert!(snippet.chars().count() < 200, "{snippet}");
        let caret_at = caret.find('^').unwrap();
        // Columns count characters (the window starts with a multi-byte '…').
        let under: String = snippet.chars().skip(caret_at).take(3).collect();
        assert_eq!(under, "\"x\"");
    }

    #[test]
    fn suggestions() {
        let known = ["ip_families", "ip_family_policy", "ports"];
        assert_eq!(suggest("ipFamilies", known), Some("ip_families"));
        assert_eq!(suggest("prots", known), Some("ports"));
        assert_eq!(suggest("zzz", known), None);
        assert_eq!(suggest("wbe", ["web", "api"]), Some("web"));
        assert_eq!(suggest("replica", ["replicas", "ports"]), Some("replicas"));
    }
}
