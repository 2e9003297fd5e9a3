//! The literal table (`LitT`): zlib-compressed external terms, counted, and the external funs
//! (`fun M:F/A`) among them.

use std::io::Read as _;

use super::{Beam, BeamError, Mfa, be32, etf, invalid};
use crate::term::Term;

impl Beam {
    /// Whether the literal table decompresses and holds as many literals as it says (the
    /// check `relup beam` runs on `LitT`; the literals themselves are read by appup
    /// generation).
    ///
    /// # Errors
    /// Corrupt zlib data or a table shorter than its count.
    pub fn literal_count(&self) -> Result<usize, BeamError> {
        Ok(self.literal_slices()?.len())
    }

    /// Each literal's external-term bytes, from the decompressed literal table.
    fn literal_slices(&self) -> Result<Vec<Vec<u8>>, BeamError> {
        let Some(data) = self.chunk(b"LitT") else {
            return Ok(Vec::new());
        };
        if data.len() < 4 {
            return Err(invalid("LitT", "shorter than its size field"));
        }
        let size = be32(&data[..4]) as usize;
        let raw = if size == 0 {
            data[4..].to_vec()
        } else {
            let mut out = Vec::with_capacity(size.min(data.len().saturating_mul(64)));
            flate2::read::ZlibDecoder::new(&data[4..])
                .take(size as u64)
                .read_to_end(&mut out)
                .map_err(|e| BeamError::Compression(e.to_string()))?;
            out
        };
        if raw.len() < 4 {
            return Err(invalid("LitT", "no literal count"));
        }
        let count = be32(&raw[..4]) as usize;
        if count > raw.len() / 4 {
            return Err(invalid("LitT", "fewer literals than counted"));
        }
        let mut out = Vec::with_capacity(count);
        let mut pos = 4;
        for _ in 0..count {
            let len = raw
                .get(pos..pos + 4)
                .map(|b| be32(b) as usize)
                .ok_or_else(|| invalid("LitT", "fewer literals than counted"))?;
            let end = pos
                .checked_add(4 + len)
                .filter(|&p| p <= raw.len())
                .ok_or_else(|| invalid("LitT", "a literal runs past the table"))?;
            out.push(raw[pos + 4..end].to_vec());
            pos = end;
        }
        Ok(out)
    }

    /// The external funs among the literals (`fun M:F/A`): calls the code makes that the
    /// import table does not list.
    ///
    /// # Errors
    /// A corrupt literal table.
    pub fn external_funs(&self) -> Result<Vec<Mfa>, BeamError> {
        let mut out = Vec::new();
        for lit in self.literal_slices()? {
            // Only literals holding an EXPORT_EXT tag are worth decoding.
            if !lit.contains(&113) {
                continue;
            }
            if let Ok(t) = etf::decode(&lit) {
                collect_funs(&t, &mut out);
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// `{'$external_fun', M, F, A}` terms (how [`etf::decode`] renders `fun M:F/A`) inside `t`.
fn collect_funs(t: &Term<'static>, out: &mut Vec<Mfa>) {
    if let Some([tag, m, f, a]) = t.as_tuple() {
        if tag.is_atom(etf::EXTERNAL_FUN) {
            if let (Some(m), Some(f), Some(a)) = (m.as_atom(), f.as_atom(), a.as_int()) {
                out.push(Mfa {
                    module: m.to_string(),
                    function: f.to_string(),
                    arity: u32::try_from(a).unwrap_or(0),
                });
                return;
            }
        }
    }
    match &t.kind {
        crate::term::TermKind::Tuple(items) | crate::term::TermKind::List(items, _) => {
            items.iter().for_each(|i| collect_funs(i, out));
        }
        crate::term::TermKind::Map(pairs) => {
            for (k, v) in pairs {
                collect_funs(k, out);
                collect_funs(v, out);
            }
        }
        _ => {}
    }
}
