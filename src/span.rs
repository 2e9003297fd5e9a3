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

/// The line and column of byte `offset` in `source` (clamped to the text and to a char boundary).
pub fn line_col(source: &str, offset: usize) -> LineCol {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = source[line_start..offset].chars().count() + 1;
    LineCol { line, col }
}

/// Renders `path:line:col: severity: message` followed by the source line and a caret line
/// under the span (the span is cut at the end of its first line).
pub fn render_snippet(
    source: &str,
    path: &str,
    span: Span,
    severity: &str,
    message: &str,
) -> String {
    let lc = line_col(source, span.lo());
    let mut out = format!("{path}:{}:{}: {severity}: {message}\n", lc.line, lc.col);
    let start = span.lo().min(source.len());
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[line_start..]
        .find('\n')
        .map_or(source.len(), |i| line_start + i);
    let line_text = source[line_start..line_end].trim_end_matches('\r');
    let gutter = lc.line.to_string();
    let pad = " ".repeat(gutter.len());
    let caret_start = lc.col - 1;
    let span_end = span.hi().clamp(start, line_end.max(start));
    let width = source
        .get(start..span_end)
        .map_or(1, |s| s.chars().count())
        .max(1);
    out.push_str(&format!("{pad} |\n{gutter} | {line_text}\n{pad} | "));
    out.push_str(&" ".repeat(caret_start));
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
    fn snippet_points_at_span() {
        let text = render_snippet("{a,\n  bad}.", "f.appup", Span::new(6, 9), "error", "oops");
        assert_eq!(
            text,
            "f.appup:2:3: error: oops\n  |\n2 |   bad}.\n  |   ^^^\n"
        );
    }
}
