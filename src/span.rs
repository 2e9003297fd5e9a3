//! Byte spans into source text, and their rendering as `path:line:col` with a caret snippet.
//!
//! Every parsed term carries a [`Span`]; diagnostics turn it into a line and column only when
//! they are printed, so parsing never pays for line counting.

use serde::Serialize;

/// A half-open byte range `start..end` into the source text a term was parsed from.
/// Offsets are 32-bit (files up to 4 GiB): every parsed term carries one, so its size matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, PartialOrd, Ord)]
pub struct Span {
    /// First byte of the range.
    pub start: u32,
    /// One past the last byte of the range.
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end` (bytes; saturated at 4 GiB).
    pub fn new(start: usize, end: usize) -> Self {
        let clamp = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        Span {
            start: clamp(start),
            end: clamp(end),
        }
    }

    /// The first byte, as an index.
    pub fn lo(self) -> usize {
        self.start as usize
    }

    /// One past the last byte, as an index.
    pub fn hi(self) -> usize {
        self.end as usize
    }

    /// The span covering both `self` and `other`.
    pub fn join(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A 1-based line and column (column counted in characters), as editors show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LineCol {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
}

/// Where each line of a text starts, built once per file so that every diagnostic finds its
/// line and column in O(log lines) (rescanning the text per diagnostic made a file with many
/// errors quadratic). Lines of ASCII text get their column by subtraction.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset of each line's first byte.
    starts: Vec<usize>,
    /// Whether each line is ASCII (column = byte distance).
    ascii: Vec<bool>,
}

impl LineIndex {
    /// Indexes `source` in one pass.
    pub fn new(source: &str) -> LineIndex {
        let mut starts = vec![0];
        let mut ascii = Vec::new();
        let mut line_ascii = true;
        for (i, b) in source.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i + 1);
                ascii.push(line_ascii);
                line_ascii = true;
            } else if !b.is_ascii() {
                line_ascii = false;
            }
        }
        ascii.push(line_ascii);
        LineIndex { starts, ascii }
    }

    /// The 0-based line holding byte `offset` (binary search over the line starts).
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset) - 1
    }

    /// The line and column of byte `offset` (clamped to the text and to a char boundary).
    pub fn line_col(&self, source: &str, offset: usize) -> LineCol {
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_of(offset);
        let start = self.starts[line];
        let col = if self.ascii[line] {
            offset - start
        } else {
            source[start..offset].chars().count()
        };
        LineCol {
            line: line + 1,
            col: col + 1,
        }
    }

    /// The byte range of the line holding `offset`, without its line break.
    fn line_bounds(&self, source: &str, offset: usize) -> (usize, usize) {
        let line = self.line_of(offset.min(source.len()));
        let start = self.starts[line];
        let end = self
            .starts
            .get(line + 1)
            .map_or(source.len(), |next| next - 1);
        (start, end.max(start))
    }
}

/// The line and column of byte `offset` in `source` (clamped to the text and to a char
/// boundary). Indexes the text each call: use a [`LineIndex`] for many offsets.
pub fn line_col(source: &str, offset: usize) -> LineCol {
    LineIndex::new(source).line_col(source, offset)
}

/// How many characters of a source line a snippet shows at most, around the span.
pub const SNIPPET_WIDTH: usize = 160;

/// Renders `path:line:col: severity: message` followed by the source line and a caret line
/// under the span (the span is cut at the end of its first line). Indexes the text: use
/// [`render_snippet_in`] for many diagnostics of one file.
pub fn render_snippet(
    source: &str,
    path: &str,
    span: Span,
    severity: &str,
    message: &str,
) -> String {
    render_snippet_in(
        &LineIndex::new(source),
        source,
        path,
        span,
        severity,
        message,
    )
}

/// [`render_snippet`] with the file's [`LineIndex`]. A line longer than [`SNIPPET_WIDTH`]
/// bytes is shown as a window of at most that many characters around the span start, with
/// `...` where it is cut, so a diagnostic about a huge term prints a bounded amount.
pub fn render_snippet_in(
    index: &LineIndex,
    source: &str,
    path: &str,
    span: Span,
    severity: &str,
    message: &str,
) -> String {
    let lc = index.line_col(source, span.lo());
    let mut out = format!("{path}:{}:{}: {severity}: {message}\n", lc.line, lc.col);
    let mut start = span.lo().min(source.len());
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    let (line_start, line_end) = index.line_bounds(source, start);
    let short_line = line_end - line_start <= SNIPPET_WIDTH;
    // The window: up to a third of the width before the span, the rest after it.
    let before: Vec<(usize, char)> = source[line_start..start]
        .char_indices()
        .rev()
        .take(SNIPPET_WIDTH / 3 + 1)
        .collect();
    let (from, cut_left) = if !short_line && before.len() > SNIPPET_WIDTH / 3 {
        (line_start + before[SNIPPET_WIDTH / 3 - 1].0, true)
    } else {
        (line_start, false)
    };
    let shown_before = source[from..start].chars().count();
    let budget = if short_line {
        SNIPPET_WIDTH
    } else {
        SNIPPET_WIDTH - shown_before
    };
    let rest = &source[start..line_end];
    let (to, cut_right) = match rest.char_indices().nth(budget) {
        Some((i, _)) => (start + i, true),
        None => (line_end, false),
    };
    let line_text = source[from..to].trim_end_matches('\r');
    let gutter = lc.line.to_string();
    let pad = " ".repeat(gutter.len());
    let lead = if cut_left { "..." } else { "" };
    let span_end = span.hi().clamp(start, to);
    let width = source
        .get(start..span_end)
        .map_or(1, |s| s.chars().count())
        .max(1);
    out.push_str(&format!(
        "{pad} |\n{gutter} | {lead}{line_text}{}\n{pad} | ",
        if cut_right { "..." } else { "" }
    ));
    out.push_str(&" ".repeat(lead.len() + shown_before));
    out.push_str(&"^".repeat(width));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_lines_and_chars() {
        let src = "ab\ncé d";
        assert_eq!(line_col(src, 0), LineCol { line: 1, col: 1 });
        assert_eq!(line_col(src, 3), LineCol { line: 2, col: 1 });
        // 'é' is two bytes: the byte after it is column 3.
        assert_eq!(line_col(src, 6), LineCol { line: 2, col: 3 });
    }

    #[test]
    fn index_agrees_with_a_scan_on_every_offset() {
        let src = "{a,\n  bé, \"x\"}.\r\n\nlast";
        let index = LineIndex::new(src);
        for offset in 0..=src.len() + 2 {
            let mut o = offset.min(src.len());
            while !src.is_char_boundary(o) {
                o -= 1;
            }
            let before = &src[..o];
            let line = before.matches('\n').count() + 1;
            let col = before[before.rfind('\n').map_or(0, |i| i + 1)..]
                .chars()
                .count()
                + 1;
            assert_eq!(
                index.line_col(src, offset),
                LineCol { line, col },
                "offset {offset}"
            );
        }
    }

    #[test]
    fn snippet_of_a_huge_line_is_a_bounded_window() {
        let src = format!("{{a, {}bad{}}}.", "x".repeat(100_000), "y".repeat(100_000));
        let at = src.find("bad").unwrap();
        let text = render_snippet(&src, "f", Span::new(at, at + 3), "error", "oops");
        assert!(text.len() < 3 * SNIPPET_WIDTH, "{}", text.len());
        let lines: Vec<&str> = text.lines().collect();
        let caret = lines[3].find('^').unwrap();
        assert_eq!(&lines[2][caret..caret + 3], "bad");
        assert!(lines[2].contains("...x") && lines[2].ends_with("y..."));
    }

    #[test]
    fn snippet_points_at_span() {
        let text = render_snippet("{a,\n  bad}.", "f.appup", Span::new(6, 9), "error", "oops");
        assert_eq!(
            text,
            "f.appup:2:3: error: oops\n  |\n2 |   bad}.\n  |   ^^^\n"
        );
    }
}
