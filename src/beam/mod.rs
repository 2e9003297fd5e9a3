//! BEAM files: the IFF container (`FOR1` size `BEAM`, then chunks of a 4-byte id, a 4-byte
//! size and data padded to 4 bytes; possibly gzip-compressed as a whole), the atom table in
//! both encodings (OTP ≤ 27: a count and one length byte per atom; OTP 28+: a negative count
//! and compact-encoded lengths), exports, imports, local functions, the fun table, literals
//! (zlib), attributes and compile info (external term format), and the module's MD5 exactly
//! as `beam_lib:md5/1` computes it.
//!
//! Hostile input never panics or over-allocates: every count and size is checked against the
//! bytes that are there before anything is allocated for it.

pub mod etf;
mod literals;
mod read_dir;

use std::io::Read as _;

use crate::term::Term;

pub use etf::EtfError;
pub use read_dir::{ReadError, read_ebin};

/// Why a file is not a readable BEAM file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BeamError {
    /// Not an IFF `FOR1 ... BEAM` container.
    #[error("not a BEAM file (no FOR1/BEAM header)")]
    NotABeamFile,
    /// A chunk's size runs past the end of the file.
    #[error("chunk {id} at byte {at} is longer than the file")]
    TruncatedChunk {
        /// The chunk id.
        id: String,
        /// Where the chunk starts.
        at: usize,
    },
    /// A chunk `beam_lib` needs is missing.
    #[error("no {0} chunk (every BEAM file has Code, ExpT, ImpT and StrT)")]
    MissingChunk(&'static str),
    /// A chunk's contents do not have its format.
    #[error("invalid {id} chunk: {why}")]
    InvalidChunk {
        /// The chunk id.
        id: &'static str,
        /// What is wrong.
        why: String,
    },
    /// The gzip wrapper or the literal table's zlib data is corrupt.
    #[error("compressed data is corrupt: {0}")]
    Compression(String),
}

/// One function reference: module (for imports), name and arity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mfa {
    /// The module (for imports; the beam's own module for exports and locals).
    pub module: String,
    /// The function name.
    pub function: String,
    /// The arity.
    pub arity: u32,
}

/// A BEAM file: its module name and its chunks. Everything else (atoms, exports, imports,
/// attributes, literals) is decoded when asked for: a release holds tens of thousands of
/// beams, and most of them are only compared by md5.
#[derive(Debug, Clone)]
pub struct Beam {
    /// The module name (the first atom).
    pub module: String,
    /// The file's bytes (after gzip, when compressed).
    data: Vec<u8>,
    /// Each chunk's id and byte range in `data`, in file order.
    index: Vec<([u8; 4], std::ops::Range<usize>)>,
    /// Whether the file carries a debug-info chunk (`Dbgi`, or a non-empty `Abst`); a beam
    /// compiled with `no_debug_info` may have one that holds no code
    /// ([`crate::appup::has_abstract_code`] tells).
    pub has_debug_info: bool,
}

/// The chunks `beam_lib:md5/1` hashes, in its order.
const MD5_CHUNKS: [&[u8; 4]; 9] = [
    b"Atom", b"AtU8", b"Code", b"StrT", b"ImpT", b"ExpT", b"FunT", b"LitT", b"Meta",
];

/// Chunks every BEAM file has (`beam_lib`'s mandatory chunks).
const MANDATORY: [&[u8; 4]; 4] = [b"Code", b"ExpT", b"ImpT", b"StrT"];

impl Beam {
    /// Reads a BEAM file's bytes (plain or gzip-compressed).
    ///
    /// # Errors
    /// Not a BEAM file, truncated or invalid chunks.
    pub fn parse(bytes: &[u8]) -> Result<Beam, BeamError> {
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            // A gzip bomb is bounded: a BEAM file is never larger than 1 GiB.
            flate2::read::GzDecoder::new(bytes)
                .take(1 << 30)
                .read_to_end(&mut out)
                .map_err(|e| BeamError::Compression(e.to_string()))?;
            return Beam::parse_plain(&out);
        }
        Beam::parse_plain(bytes)
    }

    fn parse_plain(bytes: &[u8]) -> Result<Beam, BeamError> {
        Beam::from_data(bytes.to_vec())
    }

    fn from_data(data: Vec<u8>) -> Result<Beam, BeamError> {
        let bytes = data.as_slice();
        if bytes.len() < 12 || &bytes[0..4] != b"FOR1" || &bytes[8..12] != b"BEAM" {
            return Err(BeamError::NotABeamFile);
        }
        let declared = be32(&bytes[4..8]) as usize;
        let end = declared.saturating_add(8).min(bytes.len());
        let mut index = Vec::new();
        let mut pos = 12;
        while pos + 8 <= end {
            let mut id = [0u8; 4];
            id.copy_from_slice(&bytes[pos..pos + 4]);
            let size = be32(&bytes[pos + 4..pos + 8]) as usize;
            let data_end = (pos + 8).checked_add(size).filter(|&e| e <= end);
            let Some(data_end) = data_end else {
                return Err(BeamError::TruncatedChunk {
                    id: String::from_utf8_lossy(&id).into_owned(),
                    at: pos,
                });
            };
            index.push((id, pos + 8..data_end));
            pos = data_end + (4 - size % 4) % 4;
        }
        for m in MANDATORY {
            if !index.iter().any(|(id, _)| id == m) {
                return Err(BeamError::MissingChunk(chunk_name(m)));
            }
        }
        let find = |id: &[u8; 4]| {
            index
                .iter()
                .find(|(i, _)| i == id)
                .map(|(_, r)| &bytes[r.clone()])
        };
        let module = match (find(b"AtU8"), find(b"Atom")) {
            (Some(d), _) => first_atom(d, true)?,
            (None, Some(d)) => first_atom(d, false)?,
            (None, None) => return Err(BeamError::MissingChunk("AtU8")),
        };
        let has_debug_info =
            find(b"Dbgi").is_some() || find(b"Abst").is_some_and(|d| !d.is_empty());
        Ok(Beam {
            module,
            data,
            index,
            has_debug_info,
        })
    }

    /// The data of chunk `id` (the first of that id), if the file has one.
    pub fn chunk(&self, id: &[u8; 4]) -> Option<&[u8]> {
        self.index
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, r)| &self.data[r.clone()])
    }

    /// The chunk ids, in file order.
    pub fn chunk_ids(&self) -> impl Iterator<Item = &[u8; 4]> {
        self.index.iter().map(|(id, _)| id)
    }

    /// The atom table (index 1 is the first atom).
    ///
    /// # Errors
    /// An atom table that does not have its format.
    pub fn atoms(&self) -> Result<Vec<String>, BeamError> {
        match (self.chunk(b"AtU8"), self.chunk(b"Atom")) {
            (Some(d), _) => atom_table(d, true),
            (None, Some(d)) => atom_table(d, false),
            (None, None) => Err(BeamError::MissingChunk("AtU8")),
        }
    }

    fn functions(
        &self,
        id: &[u8; 4],
        name: &'static str,
        imports: bool,
    ) -> Result<Vec<Mfa>, BeamError> {
        let Some(d) = self.chunk(id) else {
            return Ok(Vec::new());
        };
        let atoms = self.atoms()?;
        let atom = |i: u32| -> Result<String, BeamError> {
            atoms
                .get((i as usize).wrapping_sub(1))
                .cloned()
                .ok_or_else(|| invalid(name, &format!("atom index {i} out of range")))
        };
        table(d, name)?
            .into_iter()
            .map(|[a, b, c]| {
                Ok(if imports {
                    Mfa {
                        module: atom(a)?,
                        function: atom(b)?,
                        arity: c,
                    }
                } else {
                    Mfa {
                        module: self.module.clone(),
                        function: atom(a)?,
                        arity: b,
                    }
                })
            })
            .collect()
    }

    /// Exported functions (`ExpT`).
    ///
    /// # Errors
    /// A table that does not have its format.
    pub fn exports(&self) -> Result<Vec<Mfa>, BeamError> {
        self.functions(b"ExpT", "ExpT", false)
    }

    /// Imported functions (`ImpT`): the `m:f/a` the code calls.
    ///
    /// # Errors
    /// A table that does not have its format.
    pub fn imports(&self) -> Result<Vec<Mfa>, BeamError> {
        self.functions(b"ImpT", "ImpT", true)
    }

    /// Local functions (`LocT`, absent from stripped beams).
    ///
    /// # Errors
    /// A table that does not have its format.
    pub fn locals(&self) -> Result<Vec<Mfa>, BeamError> {
        self.functions(b"LocT", "LocT", false)
    }

    /// The module's MD5 as `beam_lib:md5/1` computes it: the data of the chunks Atom, AtU8,
    /// Code, StrT, ImpT, ExpT, FunT, LitT and Meta in that order (those present), with the
    /// last 4 bytes (the old unique value) of every fun table entry zeroed. Lowercase hex.
    pub fn md5(&self) -> String {
        use md5::Digest as _;
        let mut h = md5::Md5::new();
        for id in MD5_CHUNKS {
            let Some(data) = self.chunk(id) else {
                continue;
            };
            if id == b"FunT" && data.len() >= 4 {
                h.update(&data[..4]);
                let mut rest = &data[4..];
                while rest.len() >= 24 {
                    h.update(&rest[..20]);
                    h.update([0u8; 4]);
                    rest = &rest[24..];
                }
                h.update(rest);
            } else {
                h.update(data);
            }
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The module attributes (`Attr`), decoded when asked for (most readers never need
    /// them, and a release has tens of thousands of beams).
    ///
    /// # Errors
    /// The chunk is not a valid external term.
    pub fn attributes(&self) -> Result<Option<Term<'static>>, BeamError> {
        self.etf_chunk(b"Attr", "Attr")
    }

    /// The compile info (`CInf`), decoded when asked for.
    ///
    /// # Errors
    /// The chunk is not a valid external term.
    pub fn compile_info(&self) -> Result<Option<Term<'static>>, BeamError> {
        self.etf_chunk(b"CInf", "CInf")
    }

    fn etf_chunk(
        &self,
        id: &[u8; 4],
        name: &'static str,
    ) -> Result<Option<Term<'static>>, BeamError> {
        self.chunk(id)
            .map(|d| etf::decode(d).map_err(|e| invalid(name, &e.to_string())))
            .transpose()
    }

    /// The behaviours the module declares (`-behaviour` and `-behavior` attributes); none
    /// when the attributes cannot be read.
    pub fn behaviours(&self) -> Vec<String> {
        let mut out = Vec::new();
        let attributes = self.attributes().ok().flatten();
        for item in attributes
            .iter()
            .flat_map(|a| a.list_items().unwrap_or_default())
        {
            let item = item.to_term();
            let Some([key, values]) = item.as_tuple() else {
                continue;
            };
            if key.is_atom("behaviour") || key.is_atom("behavior") {
                for v in values.list_items().unwrap_or_default() {
                    if let Some(a) = v.to_term().as_atom() {
                        out.push(a.to_string());
                    }
                }
            }
        }
        out
    }

    /// Whether the module exports `name/arity`.
    pub fn exports_fn(&self, name: &str, arity: u32) -> bool {
        self.exports()
            .unwrap_or_default()
            .iter()
            .any(|e| e.function == name && e.arity == arity)
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn chunk_name(id: &[u8; 4]) -> &'static str {
    match id {
        b"Code" => "Code",
        b"ExpT" => "ExpT",
        b"ImpT" => "ImpT",
        _ => "StrT",
    }
}

fn invalid(id: &'static str, why: &str) -> BeamError {
    BeamError::InvalidChunk {
        id,
        why: why.to_string(),
    }
}

/// The first atom of an atom table (the module name), without reading the rest.
fn first_atom(d: &[u8], utf8: bool) -> Result<String, BeamError> {
    let id = if utf8 { "AtU8" } else { "Atom" };
    if d.len() < 4 {
        return Err(invalid(id, "shorter than its count"));
    }
    let raw = i32::from_be_bytes([d[0], d[1], d[2], d[3]]);
    if raw == 0 {
        return Err(invalid(id, "no atoms"));
    }
    let (len, used) = if raw < 0 {
        compact_unsigned(&d[4..]).ok_or_else(|| invalid(id, "bad atom length"))?
    } else {
        let len = *d
            .get(4)
            .ok_or_else(|| invalid(id, "atom table ends early"))?;
        (usize::from(len), 1)
    };
    let text = d
        .get(4 + used..4 + used + len)
        .ok_or_else(|| invalid(id, "atom table ends early"))?;
    if utf8 {
        String::from_utf8(text.to_vec()).map_err(|_| invalid(id, "atom is not UTF-8"))
    } else {
        Ok(text.iter().map(|&b| char::from(b)).collect())
    }
}

/// A table of `count` entries of three 32-bit words (ExpT, ImpT, LocT).
fn table(d: &[u8], id: &'static str) -> Result<Vec<[u32; 3]>, BeamError> {
    if d.len() < 4 {
        return Err(invalid(id, "shorter than its count"));
    }
    let n = be32(&d[..4]) as usize;
    if n.saturating_mul(12) > d.len() - 4 {
        return Err(invalid(
            id,
            &format!("{n} entries do not fit {} bytes", d.len()),
        ));
    }
    Ok((0..n)
        .map(|i| {
            let at = 4 + 12 * i;
            [be32(&d[at..]), be32(&d[at + 4..]), be32(&d[at + 8..])]
        })
        .collect())
}

/// The atom table: a count, then each atom's length and text. A negative count (OTP 28+)
/// means lengths in the compact term encoding.
fn atom_table(d: &[u8], utf8: bool) -> Result<Vec<String>, BeamError> {
    let id = if utf8 { "AtU8" } else { "Atom" };
    if d.len() < 4 {
        return Err(invalid(id, "shorter than its count"));
    }
    let raw = i32::from_be_bytes([d[0], d[1], d[2], d[3]]);
    let (n, compact) = if raw < 0 {
        (raw.unsigned_abs() as usize, true)
    } else {
        (raw as usize, false)
    };
    if n > d.len() - 4 {
        return Err(invalid(
            id,
            &format!("{n} atoms do not fit {} bytes", d.len()),
        ));
    }
    let mut out = Vec::with_capacity(n);
    let mut pos = 4;
    for _ in 0..n {
        let len = if compact {
            let (len, used) =
                compact_unsigned(&d[pos..]).ok_or_else(|| invalid(id, "bad atom length"))?;
            pos += used;
            len
        } else {
            let len = *d
                .get(pos)
                .ok_or_else(|| invalid(id, "atom table ends early"))?;
            pos += 1;
            usize::from(len)
        };
        let text = d
            .get(pos..pos + len)
            .ok_or_else(|| invalid(id, "atom table ends early"))?;
        pos += len;
        out.push(if utf8 {
            String::from_utf8(text.to_vec()).map_err(|_| invalid(id, "atom is not UTF-8"))?
        } else {
            text.iter().map(|&b| char::from(b)).collect()
        });
    }
    Ok(out)
}

/// A value in BEAM's compact term encoding (tag bits ignored): small values in one byte
/// (`value << 4 | tag`), up to 2047 in two (`0b000_01_000` marker), larger ones as a byte
/// count then big-endian bytes. Returns the value and the bytes used.
fn compact_unsigned(b: &[u8]) -> Option<(usize, usize)> {
    let first = *b.first()?;
    if first & 0x08 == 0 {
        return Some((usize::from(first >> 4), 1));
    }
    if first & 0x10 == 0 {
        let second = *b.get(1)?;
        return Some(((usize::from(first & 0xE0) << 3) | usize::from(second), 2));
    }
    let n = usize::from(first >> 5) + 2;
    if n > 8 {
        return None;
    }
    let bytes = b.get(1..1 + n)?;
    let value = bytes
        .iter()
        .fold(0usize, |acc, &x| (acc << 8) | usize::from(x));
    Some((value, 1 + n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_lengths_in_all_three_sizes() {
        assert_eq!(compact_unsigned(&[0x50]), Some((5, 1)));
        assert_eq!(compact_unsigned(&[0x28, 0x10]), Some((0x110, 2)));
        assert_eq!(compact_unsigned(&[0x18, 0x12, 0x34]), Some((0x1234, 3)));
    }

    #[test]
    fn garbage_is_an_error() {
        assert_eq!(Beam::parse(b"hello").unwrap_err(), BeamError::NotABeamFile);
        let mut forged = b"FOR1\0\0\0\x20BEAMAtU8\xff\xff\xff\xff".to_vec();
        forged.extend([0; 12]);
        assert!(matches!(
            Beam::parse(&forged),
            Err(BeamError::TruncatedChunk { .. })
        ));
    }
}
