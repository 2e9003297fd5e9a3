//! The external term format (`term_to_binary/1`), as BEAM files store their attributes
//! (`Attr`), compile info (`CInf`) and literals (`LitT`). Decoded into [`Term`]s; every
//! length is checked against the bytes left before anything is allocated, and nesting is
//! bounded, so hostile input costs at most its own size.

use std::borrow::Cow;

use crate::term::{BigInteger, MAX_DEPTH, Term, TermKind, with_stack};

/// The tag of the tuple an external fun (`fun M:F/A`, EXPORT_EXT) decodes to.
pub const EXTERNAL_FUN: &str = "$external_fun";

/// Why a term could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EtfError {
    /// The data ends inside a term.
    #[error("external term ends early at byte {0}")]
    Truncated(usize),
    /// A tag this decoder does not know (pids, ports, references, funs).
    #[error("external term tag {tag} at byte {at} is not supported")]
    UnsupportedTag {
        /// The tag byte.
        tag: u8,
        /// Where it stands.
        at: usize,
    },
    /// Not starting with the version byte 131.
    #[error("not an external term (version byte {0}, expected 131)")]
    BadVersion(u8),
    /// Nested deeper than [`MAX_DEPTH`].
    #[error("external term nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// An atom whose text is not valid in its encoding.
    #[error("atom with invalid text at byte {0}")]
    BadAtom(usize),
}

/// Decodes one term of `bytes` (starting with the version byte 131).
///
/// # Errors
/// Truncated data, unknown tags, nesting deeper than [`MAX_DEPTH`].
pub fn decode(bytes: &[u8]) -> Result<Term<'static>, EtfError> {
    match bytes.first() {
        Some(131) => {}
        Some(&v) => return Err(EtfError::BadVersion(v)),
        None => return Err(EtfError::Truncated(0)),
    }
    // `term_to_binary(T, [compressed])`: tag 80, the uncompressed size, zlib data.
    if bytes.get(1) == Some(&80) {
        let size = bytes
            .get(2..6)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or(EtfError::Truncated(2))?;
        let mut inflated = Vec::with_capacity(size.min(bytes.len().saturating_mul(64)));
        std::io::Read::read_to_end(
            &mut std::io::Read::take(flate2::read::ZlibDecoder::new(&bytes[6..]), size as u64),
            &mut inflated,
        )
        .map_err(|_| EtfError::Truncated(6))?;
        let mut r = Reader {
            bytes: &inflated,
            pos: 0,
        };
        return r.term(0);
    }
    let mut r = Reader { bytes, pos: 1 };
    r.term(0)
}

struct Reader<'b> {
    bytes: &'b [u8],
    pos: usize,
}

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Result<&'b [u8], EtfError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or(EtfError::Truncated(self.pos))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, EtfError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<usize, EtfError> {
        let b = self.take(2)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }

    fn u32(&mut self) -> Result<usize, EtfError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    /// A count of items that each take at least `min_bytes`: refused when the data left
    /// cannot hold them (no allocation for a forged count).
    fn count(&mut self, n: usize, min_bytes: usize) -> Result<usize, EtfError> {
        let left = self.bytes.len() - self.pos;
        if n.saturating_mul(min_bytes) > left {
            return Err(EtfError::Truncated(self.pos));
        }
        Ok(n)
    }

    fn atom(&mut self, len: usize, utf8: bool) -> Result<Term<'static>, EtfError> {
        let at = self.pos;
        let raw = self.take(len)?;
        let text = if utf8 {
            std::str::from_utf8(raw)
                .map_err(|_| EtfError::BadAtom(at))?
                .to_string()
        } else {
            raw.iter().map(|&b| char::from(b)).collect()
        };
        Ok(Term::atom(text))
    }

    fn items(&mut self, n: usize, depth: usize) -> Result<Vec<Term<'static>>, EtfError> {
        let n = self.count(n, 1)?;
        (0..n).map(|_| self.term(depth + 1)).collect()
    }

    fn big(&mut self, n: usize) -> Result<Term<'static>, EtfError> {
        let negative = self.u8()? != 0;
        let digits = self.take(n)?;
        // Little-endian base-256 digits to decimal, through the based-integer reader.
        let values: Vec<u32> = digits.iter().rev().map(|&d| u32::from(d)).collect();
        let big = BigInteger::from_base(256, &values).ok_or(EtfError::Truncated(self.pos))?;
        let big = if negative { big.negated() } else { big };
        Ok(match big.to_i128() {
            Some(v) => Term::int(v),
            None => Term::new(Default::default(), TermKind::BigInt(Box::new(big))),
        })
    }

    fn term(&mut self, depth: usize) -> Result<Term<'static>, EtfError> {
        if depth >= MAX_DEPTH {
            return Err(EtfError::TooDeep);
        }
        with_stack(|| self.term_here(depth))
    }

    fn term_here(&mut self, depth: usize) -> Result<Term<'static>, EtfError> {
        let at = self.pos;
        let tag = self.u8()?;
        Ok(match tag {
            97 => Term::int(i128::from(self.u8()?)),
            98 => {
                let b = self.take(4)?;
                Term::int(i128::from(i32::from_be_bytes([b[0], b[1], b[2], b[3]])))
            }
            70 => {
                let b = self.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                Term::new(Default::default(), TermKind::Float(f64::from_be_bytes(a)))
            }
            100 | 118 => {
                let n = self.u16()?;
                self.atom(n, tag == 118)?
            }
            115 | 119 => {
                let n = usize::from(self.u8()?);
                self.atom(n, tag == 119)?
            }
            104 => {
                let n = usize::from(self.u8()?);
                Term::tuple(self.items(n, depth)?)
            }
            105 => {
                let n = self.u32()?;
                Term::tuple(self.items(n, depth)?)
            }
            106 => Term::nil(),
            107 => {
                let n = self.u16()?;
                let codes = self.take(n)?;
                Term::list(codes.iter().map(|&c| Term::int(i128::from(c))).collect())
            }
            108 => {
                let n = self.u32()?;
                let items = self.items(n, depth)?;
                let tail = self.term(depth + 1)?;
                if tail.is_nil() {
                    Term::list(items)
                } else {
                    Term::new(
                        Default::default(),
                        TermKind::List(items, Some(Box::new(tail))),
                    )
                }
            }
            109 => {
                let n = self.u32()?;
                let data = self.take(n)?.to_vec();
                Term::new(Default::default(), TermKind::Binary(Cow::Owned(data)))
            }
            110 => {
                let n = usize::from(self.u8()?);
                self.big(n)?
            }
            111 => {
                let n = self.u32()?;
                self.big(n)?
            }
            116 => {
                let n = self.u32()?;
                let n = self.count(n, 2)?;
                let mut pairs = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = self.term(depth + 1)?;
                    let v = self.term(depth + 1)?;
                    pairs.push((k, v));
                }
                Term::new(Default::default(), TermKind::Map(pairs))
            }
            // EXPORT_EXT: `fun M:F/A`, kept as {'$external_fun', M, F, A}.
            113 => {
                let m = self.term(depth + 1)?;
                let f = self.term(depth + 1)?;
                let a = self.term(depth + 1)?;
                Term::tuple(vec![Term::atom(EXTERNAL_FUN), m, f, a])
            }
            _ => return Err(EtfError::UnsupportedTag { tag, at }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forged_counts_and_truncation_are_errors() {
        // A list claiming 4 billion elements in 6 bytes.
        assert!(matches!(
            decode(&[131, 108, 255, 255, 255, 255, 106]),
            Err(EtfError::Truncated(_))
        ));
        assert_eq!(decode(&[131, 104]), Err(EtfError::Truncated(2)));
        assert_eq!(decode(&[130]), Err(EtfError::BadVersion(130)));
        // {vsn, [1,2]} as term_to_binary writes it.
        let t = decode(&[131, 104, 2, 119, 3, b'v', b's', b'n', 107, 0, 2, 1, 2]).unwrap();
        assert_eq!(t.to_string(), "{vsn,[1,2]}");
        // 2^64 as SMALL_BIG.
        let big = decode(&[131, 110, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]).unwrap();
        assert_eq!(big.to_string(), "18446744073709551616");
    }
}
