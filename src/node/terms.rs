//! Terms across the wire: the node's terms (`eetf`) as ours and back.

use eetf::Term as ETerm;

use crate::term::{Term, TermKind};

/// An Erlang term from the node as one of ours: pids, ports, references and funs become atoms
/// naming them, byte lists become strings.
pub fn from_eetf(t: &ETerm) -> Term<'static> {
    match t {
        ETerm::Atom(a) => Term::atom(a.name.clone()),
        ETerm::FixInteger(i) => Term::int(i128::from(i.value)),
        ETerm::BigInteger(b) => b
            .value
            .to_string()
            .parse::<i128>()
            .map_or_else(|_| Term::atom(b.value.to_string()), Term::int),
        ETerm::Float(f) => Term::new(Default::default(), TermKind::Float(f.value)),
        ETerm::Binary(b) => Term::new(Default::default(), TermKind::Binary(b.bytes.clone().into())),
        ETerm::ByteList(b) => match std::str::from_utf8(&b.bytes) {
            Ok(s) if !s.is_empty() => Term::string(s.to_string()),
            _ => Term::list(b.bytes.iter().map(|x| Term::int(i128::from(*x))).collect()),
        },
        ETerm::List(l) => {
            let items: Vec<Term<'static>> = l.elements.iter().map(from_eetf).collect();
            let text: Option<String> = l
                .elements
                .iter()
                .map(|e| match e {
                    ETerm::FixInteger(i) => u32::try_from(i.value)
                        .ok()
                        .and_then(char::from_u32)
                        .filter(|c| !c.is_control() || *c == '\n'),
                    _ => None,
                })
                .collect();
            match text {
                Some(s) if !s.is_empty() => Term::string(s),
                _ => Term::list(items),
            }
        }
        ETerm::ImproperList(l) => Term::new(
            Default::default(),
            TermKind::List(
                l.elements.iter().map(from_eetf).collect(),
                Some(Box::new(from_eetf(&l.last))),
            ),
        ),
        ETerm::Tuple(t) => Term::tuple(t.elements.iter().map(from_eetf).collect()),
        ETerm::Map(m) => Term::new(
            Default::default(),
            TermKind::Map(
                m.map
                    .iter()
                    .map(|(k, v)| (from_eetf(k), from_eetf(v)))
                    .collect(),
            ),
        ),
        ETerm::Pid(p) => Term::atom(format!("<0.{}.{}>", p.id, p.serial)),
        other => Term::atom(other.to_string()),
    }
}

/// One of our terms as the node's, for arguments that would otherwise travel as text and be
/// parsed there; `None` for an integer beyond 64 bits (the caller then sends text).
pub fn to_eetf(t: &Term<'_>) -> Option<ETerm> {
    Some(match &t.kind {
        TermKind::Atom(a) => ETerm::from(eetf::Atom::from(a.as_ref())),
        TermKind::Int(i) => match i32::try_from(*i) {
            Ok(small) => ETerm::from(eetf::FixInteger::from(small)),
            Err(_) => ETerm::from(eetf::BigInteger::from(*i)),
        },
        TermKind::BigInt(_) => return None,
        TermKind::Float(f) => ETerm::from(eetf::Float::try_from(*f).ok()?),
        TermKind::String(s) => ETerm::from(eetf::List::from(
            s.chars()
                .map(|c| ETerm::from(eetf::FixInteger::from(c as i32)))
                .collect::<Vec<_>>(),
        )),
        TermKind::Binary(b) => ETerm::from(eetf::Binary::from(b.to_vec())),
        TermKind::Tuple(items) => ETerm::from(eetf::Tuple::from(
            items.iter().map(to_eetf).collect::<Option<Vec<_>>>()?,
        )),
        TermKind::List(items, None) => ETerm::from(eetf::List::from(
            items.iter().map(to_eetf).collect::<Option<Vec<_>>>()?,
        )),
        TermKind::List(items, Some(tail)) => ETerm::from(eetf::ImproperList::from((
            items.iter().map(to_eetf).collect::<Option<Vec<_>>>()?,
            to_eetf(tail.as_ref())?,
        ))),
        TermKind::Map(pairs) => ETerm::from(eetf::Map {
            map: pairs
                .iter()
                .map(|(k, v)| Some((to_eetf(k)?, to_eetf(v)?)))
                .collect::<Option<std::collections::HashMap<_, _>>>()?,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::term::parse_term;

    #[test]
    fn terms_cross_the_wire_and_come_back_as_they_were() {
        for text in [
            "{state, 1, -7, 2.5, \"text\", <<1,2>>, [a, 'B c'], #{k => [v]}}",
            "[1 | tail]",
            "9223372036854775807",
        ] {
            let term = parse_term(text).unwrap();
            let wire = to_eetf(&term).unwrap();
            assert_eq!(from_eetf(&wire).to_string(), term.to_string(), "{text}");
        }
        let big = parse_term("123456789012345678901234567890").unwrap();
        assert!(to_eetf(&big).is_none(), "a bigger integer goes as text");
    }
}
