//! Appup version keys and OTP's rule for them (`systools_relup:appup_search_for_version/2`):
//! a string equals the version, or a binary is a regular expression that OTP hands to
//! `re:run(Vsn, Key, [unicode, {capture, first, list}])`, and the entry is taken when the
//! first match is the whole version.
//!
//! OTP's `re` is PCRE (8.45 in OTP 25); keys are matched here with PCRE2 through the `pcre2`
//! crate, in UTF mode without `ucp` as OTP does (so `\d` and `\w` are ASCII), without JIT,
//! with PCRE's default match limit: a match that hits it is no match, as `re:run` reports it
//! without `report_errors`. The two places where PCRE2 reads a pattern differently from PCRE
//! 8.45 and that real appups use (`[\w-.]`, `a{,3}`) are rewritten to PCRE 8's meaning
//! first; `tests/suite/version_keys.rs` compares every answer with OTP's lookup.

use serde::Serialize;

/// The key of an appup entry: an exact version string, or a regular expression (an Erlang
/// binary) that must match the whole version with its leftmost match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionKey {
    /// `"1.0"`: equal strings only.
    Exact(String),
    /// `<<"1\\.0\\..*">>`: PCRE regular expression.
    Regex(String),
}

/// An invalid regular expression in a version key (OTP crashes on it when it is evaluated).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid regular expression {}: {message}", shown(.pattern))]
pub struct RegexError {
    /// The pattern.
    pub pattern: String,
    /// What the regex engine said.
    pub message: String,
}

/// The pattern as a message quotes it: at most 80 characters.
fn shown(pattern: &str) -> String {
    match pattern.char_indices().nth(80) {
        Some((at, _)) => format!("{:?}...", &pattern[..at]),
        None => format!("{pattern:?}"),
    }
}

/// Patterns longer than this are refused before compiling: PCRE's compiled code (64 KiB with
/// OTP's build) is never smaller than such a pattern's literal text, and OTP refuses them
/// with "regular expression is too large".
pub const MAX_PATTERN_BYTES: usize = 1 << 20;

/// A compiled version-key regex.
#[derive(Debug, Clone)]
pub struct KeyRegex(pcre2::bytes::Regex);

/// Compiles a key as OTP's `re` would (UTF mode, no `ucp`).
///
/// # Errors
/// The pattern does not compile, or is too large.
pub fn compile(pattern: &str) -> Result<KeyRegex, RegexError> {
    let error = |message: String| RegexError {
        pattern: pattern.to_string(),
        message,
    };
    if pattern.len() > MAX_PATTERN_BYTES {
        return Err(error("regular expression is too large".into()));
    }
    pcre2::bytes::RegexBuilder::new()
        .utf(true)
        .ucp(false)
        .jit(false)
        .build(&as_pcre1(pattern))
        .map(KeyRegex)
        .map_err(|e| error(e.to_string()))
}

/// Latin-1 characters beyond ASCII that OTP's PCRE counts as word characters: OTP builds PCRE
/// with ISO-8859-1 character tables, so without `ucp` `\\w`, `\\b` and `[:alpha:]` see
/// `ª µ º À-Ö Ø-ö ø-ÿ` as letters (PCRE2's default tables are ASCII).
const LATIN1_WORD: &str = r"\x{aa}\x{b5}\x{ba}\x{c0}-\x{d6}\x{d8}-\x{f6}\x{f8}-\x{ff}";

/// Everything `\\W` matches under those tables, as ranges (usable inside a class).
const LATIN1_NOT_WORD: &str = r"\x{0}-\x{2f}\x{3a}-\x{40}\x{5b}-\x{5e}\x{60}\x{7b}-\x{a9}\x{ab}-\x{b4}\x{b6}-\x{b9}\x{bb}-\x{bf}\x{d7}\x{f7}\x{100}-\x{10ffff}";

/// What OTP's ISO-8859-1 tables add to the POSIX classes above ASCII.
fn latin1_posix_extra(name: &str) -> &'static str {
    match name {
        "alpha" | "alnum" | "word" => LATIN1_WORD,
        "upper" => r"\x{c0}-\x{d6}\x{d8}-\x{de}",
        "lower" => r"\x{aa}\x{b5}\x{ba}\x{df}-\x{f6}\x{f8}-\x{ff}",
        "punct" => r"\x{a0}-\x{a9}\x{ab}-\x{b4}\x{b6}-\x{b9}\x{bb}-\x{bf}\x{d7}\x{f7}",
        "graph" | "print" => r"\x{a0}-\x{ff}",
        "cntrl" => r"\x{80}-\x{9f}",
        _ => "",
    }
}

/// The escapes that stand for a set of characters: a `-` after one of them in a class is a
/// literal hyphen in PCRE 8 (PCRE2 rejects it as an invalid range).
const CLASS_ESCAPES: &[char] = &['d', 'D', 'w', 'W', 's', 'S', 'h', 'H', 'v', 'V', 'p', 'P'];

/// Rewrites what PCRE 8.45 (OTP 25's `re`) reads differently from PCRE2 into PCRE2 syntax
/// with PCRE 8's meaning: in a class, `-` after a class escape or a POSIX class is literal
/// (`[\w-.]`); outside one, `{,n}` is literal text (PCRE2 10.43 made it a quantifier).
fn as_pcre1(pattern: &str) -> std::borrow::Cow<'_, str> {
    if !["-", "{,", "\\w", "\\W", "\\b", "\\B", "[:"]
        .iter()
        .any(|t| pattern.contains(t))
    {
        return pattern.into();
    }
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut i = 0;
    let mut in_class = false;
    // True right after a class escape or POSIX class inside a class.
    let mut after_set = false;
    while i < chars.len() {
        let c = chars[i];
        let was_set = std::mem::replace(&mut after_set, false);
        match c {
            '\\' if chars.get(i + 1) == Some(&'Q') => {
                // \Q...\E: literal text, copied as it is.
                let end = (i + 2..chars.len().saturating_sub(1))
                    .find(|&j| chars[j] == '\\' && chars[j + 1] == 'E')
                    .map_or(chars.len(), |j| j + 2);
                out.extend(&chars[i..end]);
                i = end;
                continue;
            }
            '\\' => {
                let Some(&e) = chars.get(i + 1) else {
                    out.push(c);
                    break;
                };
                let word = format!("\\w{LATIN1_WORD}");
                if !in_class && matches!(e, 'w' | 'W') {
                    let single = if e == 'w' {
                        format!("[{word}]")
                    } else {
                        format!("[^{word}]")
                    };
                    let (text, used) = repeated_word_escape(e, &single, &chars[i + 2..]);
                    out.push_str(&text);
                    i += 2 + used;
                    continue;
                }
                let replaced = match (e, in_class) {
                    ('w', true) => Some(word.clone()),
                    ('W', true) => Some(LATIN1_NOT_WORD.to_string()),
                    ('b', false) => Some(format!(
                        "(?:(?<=[{word}])(?![{word}])|(?<![{word}])(?=[{word}]))"
                    )),
                    ('B', false) => Some(format!(
                        "(?:(?<=[{word}])(?=[{word}])|(?<![{word}])(?![{word}]))"
                    )),
                    _ => None,
                };
                if let Some(r) = replaced {
                    out.push_str(&r);
                    i += 2;
                    after_set = in_class && matches!(e, 'w' | 'W');
                    continue;
                }
                out.push(c);
                out.push(e);
                i += 2;
                // \p{..}, \x{..}, \o{..}: through the brace.
                if chars.get(i) == Some(&'{')
                    && matches!(e, 'p' | 'P' | 'x' | 'o' | 'N' | 'g' | 'k')
                {
                    while i < chars.len() {
                        out.push(chars[i]);
                        i += 1;
                        if chars[i - 1] == '}' {
                            break;
                        }
                    }
                } else if matches!(e, 'p' | 'P') {
                    if let Some(&n) = chars.get(i) {
                        out.push(n);
                        i += 1;
                    }
                }
                after_set = in_class && CLASS_ESCAPES.contains(&e);
                continue;
            }
            '[' if in_class && chars.get(i + 1) == Some(&':') => {
                // A POSIX class [:name:] inside a class.
                if let Some(end) = (i + 2..chars.len().saturating_sub(1))
                    .find(|&j| chars[j] == ':' && chars[j + 1] == ']')
                {
                    out.extend(&chars[i..end + 2]);
                    let name: String = chars[i + 2..end].iter().collect();
                    out.push_str(latin1_posix_extra(&name));
                    i = end + 2;
                    after_set = true;
                    continue;
                }
                out.push(c);
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                i += 1;
                // `[^` and a leading `]` belong to the class.
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    out.push(']');
                    i += 1;
                }
                continue;
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '-' if in_class && was_set && chars.get(i + 1).is_some_and(|&n| n != ']') => {
                out.push_str("\\-");
            }
            '{' if !in_class && chars.get(i + 1) == Some(&',') => {
                let digits = chars[i + 2..]
                    .iter()
                    .take_while(|d| d.is_ascii_digit())
                    .count();
                if digits > 0 && chars.get(i + 2 + digits) == Some(&'}') {
                    out.push_str("\\{");
                } else {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out.into()
}

/// A quantifier at the start of `rest`: (min, max, characters used), `{,n}` not being one.
fn quantifier(rest: &[char]) -> Option<(u32, Option<u32>, usize)> {
    match rest.first()? {
        '*' => Some((0, None, 1)),
        '+' => Some((1, None, 1)),
        '?' => Some((0, Some(1), 1)),
        '{' => {
            let close = rest.iter().position(|&c| c == '}')?;
            let body: String = rest[1..close].iter().collect();
            let number = |t: &str| t.parse::<u32>().ok();
            let (min, max) = match body.split_once(',') {
                None => (number(&body)?, Some(number(&body)?)),
                Some((lo, "")) => (number(lo)?, None),
                Some((lo, hi)) => (number(lo)?, Some(number(hi)?)),
            };
            Some((min, max, close + 1))
        }
        _ => None,
    }
}

/// `\\w` or `\\W` outside a class, with the quantifier that follows it, as PCRE 8.45 runs
/// it in UTF mode: a single `\\w` uses the (ISO-8859-1) tables, but the iterations a repeat
/// must make (its minimum, when PCRE compiles it to a counted or `+` repeat) test the raw
/// byte and take no character above ASCII, while the optional ones use the tables again.
/// `x{1,n}` compiles to one `x` and an optional repeat. Returns the rewrite and how many
/// characters of `rest` it consumed.
fn repeated_word_escape(escape: char, single: &str, rest: &[char]) -> (String, usize) {
    let ascii = format!("\\{escape}");
    let Some((min, max, len)) = quantifier(rest) else {
        return (single.to_string(), 0);
    };
    let suffix = match rest.get(len) {
        Some(&c @ ('?' | '+')) => Some(c),
        _ => None,
    };
    let used = len + usize::from(suffix.is_some());
    let suffix = suffix.map(String::from).unwrap_or_default();
    let original: String = rest[..used].iter().collect();
    let text = match (min, max) {
        (0, _) | (1, Some(_)) => format!("{single}{original}"),
        (min, None) => format!("{ascii}{{{min}}}{single}*{suffix}"),
        (min, Some(max)) if max <= min => format!("{ascii}{{{min}}}{suffix}"),
        (min, Some(max)) => format!("{ascii}{{{min}}}{single}{{0,{}}}{suffix}", max - min),
    };
    (text, used)
}

impl KeyRegex {
    /// OTP's rule: the first match spans the whole version. A match that exceeds PCRE's
    /// match limit is no match, as in `re:run`.
    pub fn whole_match(&self, vsn: &str) -> bool {
        matches!(self.0.find(vsn.as_bytes()), Ok(Some(m)) if m.start() == 0 && m.end() == vsn.len())
    }
}

impl VersionKey {
    /// OTP's rule (`systools_relup:appup_search_for_version/2`): equal strings, or the
    /// regex's leftmost match is the whole version (not a true anchored match: with
    /// `1|1\.0`, `"1.0"` does not match because the leftmost match is `"1"`).
    ///
    /// # Errors
    /// An invalid regular expression.
    pub fn matches(&self, vsn: &str) -> Result<bool, RegexError> {
        match self {
            VersionKey::Exact(s) => Ok(s == vsn),
            VersionKey::Regex(pattern) => Ok(compile(pattern)?.whole_match(vsn)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcre_rules_that_other_engines_break() {
        let m = |p: &str, v: &str| VersionKey::Regex(p.into()).matches(v).unwrap();
        // `[` inside a class is literal in PCRE.
        assert!(m(r"[[0-9]+\.1", "[3.1"));
        // \d is ASCII without ucp.
        assert!(!m(r"\d", "٣"));
        // The leftmost match decides, not an anchored one.
        assert!(!m(r"1|1\.0", "1.0"));
        assert!(m(r"\Q1.0\E", "1.0"));
        assert!(m(r"(?|(a)|(b))\.0", "b.0"));
        // PCRE 8: a hyphen after a class escape is literal; `{,3}` is text.
        assert!(m(r"[\w-.]+", "1.0-rc1"));
        assert!(m(r"a{,3}", "a{,3}"));
        assert!(!m(r"a{,3}", "aa"));
        assert!(m(r"[[:digit:]-.]+", "1-0.2"));
        // OTP's ISO-8859-1 tables: é is a word character, × is not; \d stays ASCII. But
        // the iterations PCRE 8 must make in a repeat take ASCII only.
        assert!(m(r"\w\.0", "é.0"));
        assert!(!m(r"\w+\.0", "é.0"));
        assert!(m(r"\w*\.0", "é.0"));
        assert!(m(r"\w{1,3}\.0", "é.0"));
        assert!(!m(r"\w{2}", "éé"));
        assert!(m(r"\W+", "é"));
        assert!(!m(r"\W?", "é"));
        assert!(!m(r"\w", "×"));
        assert!(m(r"\W", "×"));
        assert!(m(r"[\W]", "×"));
        assert!(!m(r"\d", "²"));
        assert!(m(r"[[:alpha:]]+", "éa"));
        assert!(m(r"é\b\.0", "é.0"));
    }

    #[test]
    fn a_huge_pattern_is_refused_at_once() {
        let e = compile(&"a".repeat(MAX_PATTERN_BYTES + 1)).unwrap_err();
        assert_eq!(e.message, "regular expression is too large");
        assert!(e.to_string().len() < 200);
        // PCRE's own limit on compiled code.
        assert!(compile(&"a".repeat(200_000)).is_err());
    }
}
