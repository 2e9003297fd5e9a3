//! A port of OTP's `io_lib_pretty` (stdlib 4.2), the `~p`/`~tp` layout: a term is written on
//! one line when it fits; otherwise lists and tuples break after commas, with OTP's exact
//! rules for which elements stay on the line (only "atomic" ones: atoms, numbers, strings,
//! printable binaries) and how a tagged tuple (`{tag, ...}`) is indented. `systools` writes
//! relup files with `~tp`, so byte-identical relups depend on this.
//!
//! Function names mirror OTP's (`print_length`, `pp`, `pp_tail`, `cind`, ...), so the two can
//! be read side by side. Depth and character limits are not supported (relups use neither).
//! Not ported: record printing, and line-breaking inside non-printable binaries
//! (`pp_binary`); maps are laid out in source order.

// The comparisons are written as OTP writes them (`ELen + 1 < Ll - Col`), to read side by side.
#![allow(clippy::int_plus_one)]

use super::Term;
use super::TermKind;
use super::print::{Encoding, write_term_as};

/// The intermediate form: each node with its one-line text length (`io_lib_pretty`'s
/// `{S, Len, Dots, More}` tuples).
struct If {
    node: Node,
    len: usize,
}

enum Node {
    /// Written as is and may share a line with its neighbours (OTP's `?ATM` case).
    Leaf(String),
    /// A non-printable binary: written as is but never packed (`{bin, S}`).
    Bin(String),
    List(Vec<If>, Option<Box<If>>),
    Tuple {
        tagged: bool,
        items: Vec<If>,
    },
    Map(Vec<(If, If)>),
}

impl If {
    fn is_atomic(&self) -> bool {
        matches!(self.node, Node::Leaf(_))
    }
}

/// `io_lib_pretty:print/6` as `~tp` calls it at column `col` with line length `ll`.
pub fn pretty_at(t: &Term<'_>, col: usize, ll: usize, enc: Encoding) -> String {
    let col = col.max(1);
    let tree = print_length(t, enc);
    if !matches!(
        t.kind,
        TermKind::Tuple(_)
            | TermKind::List(..)
            | TermKind::String(_)
            | TermKind::Map(_)
            | TermKind::Binary(_)
    ) {
        return write(&tree);
    }
    let m = tree.len as isize;
    let (ll, coli) = (ll as isize, col as isize);
    if tree.len as isize >= ll - coli || tree.len as isize > m {
        let tind = [-1isize, 4]
            .into_iter()
            .find(|&i| cind(&tree, coli, ll, m, i, 0, 0).is_ok())
            .unwrap_or(1);
        let p = Layout { ll, m, tind };
        let mut out = String::new();
        p.pp(&tree, coli, &" ".repeat(col - 1), 0, 0, &mut out);
        return out;
    }
    write(&tree)
}

/// `io_lib:format("~tp", [T])` at the start of a line: line length 80, Unicode.
pub fn pretty(t: &Term<'_>) -> String {
    pretty_at(t, 1, 80, Encoding::Unicode)
}

/// [`pretty`] for a term that is no longer needed: it is dropped as soon as its layout tree
/// is built, so the term, the tree and the text are never all in memory at once.
pub fn pretty_owned(t: Term<'_>) -> String {
    let compound = matches!(
        t.kind,
        TermKind::Tuple(_)
            | TermKind::List(..)
            | TermKind::String(_)
            | TermKind::Map(_)
            | TermKind::Binary(_)
    );
    let tree = print_length(&t, Encoding::Unicode);
    drop(t);
    if !compound {
        return write(&tree);
    }
    layout(&tree, 1, 80)
}

/// Lays out a tree: on one line when it fits, else OTP's rules with the tag indentation
/// `cind` finds.
fn layout(tree: &If, col: usize, ll: usize) -> String {
    let m = tree.len as isize;
    let (ll, coli) = (ll as isize, col as isize);
    if tree.len as isize >= ll - coli || tree.len as isize > m {
        let tind = [-1isize, 4]
            .into_iter()
            .find(|&i| cind(tree, coli, ll, m, i, 0, 0).is_ok())
            .unwrap_or(1);
        let p = Layout { ll, m, tind };
        let mut out = String::with_capacity(tree.len + tree.len / 4);
        p.pp(tree, coli, &" ".repeat(col - 1), 0, 0, &mut out);
        return out;
    }
    write(tree)
}

fn one_line(t: &Term<'_>, enc: Encoding) -> String {
    let mut s = String::new();
    let _ = write_term_as(&mut s, t, enc);
    s
}

fn leaf(s: String) -> If {
    let len = s.chars().count();
    If {
        node: Node::Leaf(s),
        len,
    }
}

/// Sum of element lengths plus separators, starting from `acc` (`list_length/3`).
fn list_length<'a>(items: impl Iterator<Item = &'a If>, acc: usize) -> usize {
    let mut total = acc;
    for (n, i) in items.enumerate() {
        total += i.len + usize::from(n > 0);
    }
    total
}

fn print_length(t: &Term<'_>, enc: Encoding) -> If {
    match &t.kind {
        TermKind::Tuple(items) if !items.is_empty() => {
            let items: Vec<If> = items.iter().map(|i| print_length(i, enc)).collect();
            let tagged = items.len() > 1 && t.as_tuple().is_some_and(|x| x[0].as_atom().is_some());
            let len = list_length(items.iter(), 2);
            If {
                node: Node::Tuple { tagged, items },
                len,
            }
        }
        TermKind::List(items, tail) if tail.is_some() || !items.is_empty() => {
            let printable = tail.is_none()
                && items.iter().all(|i| {
                    i.as_int()
                        .and_then(|c| u32::try_from(c).ok())
                        .is_some_and(super::print::is_printable_latin1)
                });
            if printable {
                return leaf(one_line(t, enc));
            }
            let items_if: Vec<If> = items.iter().map(|i| print_length(i, enc)).collect();
            let tail_if = tail.as_ref().map(|t| Box::new(print_length(t, enc)));
            let len = list_length(items_if.iter().chain(tail_if.as_deref()), 2);
            If {
                node: Node::List(items_if, tail_if),
                len,
            }
        }
        TermKind::Map(pairs) if !pairs.is_empty() => {
            let pairs: Vec<(If, If)> = pairs
                .iter()
                .map(|(k, v)| (print_length(k, enc), print_length(v, enc)))
                .collect();
            let len = 3 + pairs
                .iter()
                .enumerate()
                .map(|(n, (k, v))| k.len + 4 + v.len + usize::from(n > 0))
                .sum::<usize>();
            If {
                node: Node::Map(pairs),
                len,
            }
        }
        TermKind::Binary(b) if !b.is_empty() => {
            let s = one_line(t, enc);
            let printable = s.starts_with("<<\"");
            if printable {
                leaf(s)
            } else {
                let len = s.chars().count();
                If {
                    node: Node::Bin(s),
                    len,
                }
            }
        }
        _ => leaf(one_line(t, enc)),
    }
}

fn write(i: &If) -> String {
    let mut out = String::new();
    write_into(i, &mut out);
    out
}

fn write_into(i: &If, out: &mut String) {
    match &i.node {
        Node::Leaf(s) | Node::Bin(s) => out.push_str(s),
        Node::List(items, tail) => {
            out.push('[');
            write_seq(items, out);
            if let Some(t) = tail {
                out.push('|');
                write_into(t, out);
            }
            out.push(']');
        }
        Node::Tuple { items, .. } => {
            out.push('{');
            write_seq(items, out);
            out.push('}');
        }
        Node::Map(pairs) => {
            out.push_str("#{");
            for (n, p) in pairs.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_pair(p, out);
            }
            out.push('}');
        }
    }
}

fn write_seq(items: &[If], out: &mut String) {
    for (n, i) in items.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        write_into(i, out);
    }
}

fn write_pair((k, v): &(If, If), out: &mut String) {
    write_into(k, out);
    out.push_str(" => ");
    write_into(v, out);
}

fn pair_len((k, v): &(If, If)) -> usize {
    k.len + 4 + v.len
}

/// What follows an element inside a list or tuple: more elements, an improper tail, or nothing.
#[derive(Clone, Copy)]
enum Rest<'a> {
    Items(&'a [If], Option<&'a If>),
}

impl<'a> Rest<'a> {
    /// `last_depth/2`: 0 when more elements follow, else one more closing bracket.
    fn last_depth(self, ld: isize) -> isize {
        let Rest::Items(items, _) = self;
        if items.is_empty() { ld + 1 } else { 0 }
    }
}

/// The layout parameters of one `print` call.
struct Layout {
    ll: isize,
    m: isize,
    tind: isize,
}

impl Layout {
    fn fits(&self, i: &If, col: isize, ld: isize, w: isize) -> bool {
        (i.len as isize) < self.ll - col - ld && i.len as isize + w + ld <= self.m
    }

    fn pp(&self, i: &If, col: isize, ind: &str, ld: isize, w: isize, out: &mut String) {
        if self.fits(i, col, ld, w) {
            return write_into(i, out);
        }
        match &i.node {
            Node::List(items, tail) => {
                out.push('[');
                self.pp_list(
                    items,
                    tail.as_deref(),
                    col + 1,
                    &format!(" {ind}"),
                    ld,
                    '|',
                    w + 1,
                    out,
                );
                out.push(']');
            }
            Node::Tuple {
                tagged: true,
                items,
            } => {
                out.push('{');
                self.pp_tag_tuple(items, col, ind, ld, w + 1, out);
                out.push('}');
            }
            Node::Tuple {
                tagged: false,
                items,
            } => {
                out.push('{');
                self.pp_list(
                    items,
                    None,
                    col + 1,
                    &format!(" {ind}"),
                    ld,
                    ',',
                    w + 1,
                    out,
                );
                out.push('}');
            }
            Node::Map(pairs) => {
                out.push_str("#{");
                self.pp_map(pairs, col + 2, &format!("  {ind}"), ld, w + 1, out);
                out.push('}');
            }
            Node::Leaf(s) | Node::Bin(s) => out.push_str(s),
        }
    }

    fn pp_tag_tuple(
        &self,
        items: &[If],
        col: isize,
        ind: &str,
        ld: isize,
        w: isize,
        out: &mut String,
    ) {
        let tag = &items[0];
        let tlen = tag.len as isize;
        let tag_ind = tlen + 2;
        let tcol = col + tag_ind;
        write_into(tag, out);
        if self.tind > 0 && tag_ind > self.tind {
            let indent = format!("{}{ind}", " ".repeat(self.tind as usize));
            self.pp_tail(
                Rest::Items(&items[1..], None),
                col + self.tind,
                tcol,
                &indent,
                ld,
                ',',
                w + tlen,
                out,
            );
        } else {
            out.push(',');
            let indent = format!("{}{ind}", " ".repeat(tag_ind as usize));
            self.pp_list(&items[1..], None, tcol, &indent, ld, ',', w + tlen + 1, out);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn pp_list(
        &self,
        items: &[If],
        tail: Option<&If>,
        col0: isize,
        ind: &str,
        ld: isize,
        sep: char,
        w: isize,
        out: &mut String,
    ) {
        let Some((first, rest)) = items.split_first() else {
            return;
        };
        let rest = Rest::Items(rest, tail);
        let we = self.pp_element(first, col0, ind, rest.last_depth(ld), w, out);
        self.pp_tail(rest, col0, col0 + we, ind, ld, sep, w + we, out);
    }

    /// `pp_tail/10`, as a loop: OTP's tail recursion, one step per element (a relup's
    /// instruction list can hold tens of thousands).
    #[allow(clippy::too_many_arguments)]
    fn pp_tail(
        &self,
        rest: Rest<'_>,
        col0: isize,
        mut col: isize,
        ind: &str,
        ld: isize,
        sep: char,
        mut w: isize,
        out: &mut String,
    ) {
        let Rest::Items(mut items, tail) = rest;
        while let Some((e, more)) = items.split_first() {
            let ld1 = Rest::Items(more, tail).last_depth(ld);
            let elen = 1 + e.len as isize;
            let packs = e.is_atomic()
                && if ld1 == 0 {
                    elen + 1 < self.ll - col && w + elen + 1 <= self.m
                } else {
                    elen < self.ll - col - ld1 && w + elen + ld1 <= self.m
                };
            if packs {
                out.push(',');
                write_into(e, out);
                col += elen;
                w += elen;
            } else {
                out.push_str(",\n");
                out.push_str(ind);
                let we = self.pp_element(e, col0, ind, ld1, 0, out);
                col = col0 + we;
                w = we;
            }
            items = more;
        }
        if let Some(e) = tail {
            let len = e.len as isize;
            out.push(sep);
            if e.is_atomic()
                && len + 1 < self.ll - col - (ld + 1)
                && len + 1 + w + (ld + 1) <= self.m
            {
                write_into(e, out);
            } else {
                out.push('\n');
                out.push_str(ind);
                self.pp(e, col0, ind, ld + 1, 0, out);
            }
        }
    }

    fn pp_element(
        &self,
        e: &If,
        col: isize,
        ind: &str,
        ld: isize,
        w: isize,
        out: &mut String,
    ) -> isize {
        if e.is_atomic() && self.fits(e, col, ld, w) {
            write_into(e, out);
            e.len as isize
        } else {
            self.pp(e, col, ind, ld, w, out);
            self.ll
        }
    }

    fn pp_map(
        &self,
        pairs: &[(If, If)],
        col: isize,
        ind: &str,
        ld: isize,
        w: isize,
        out: &mut String,
    ) {
        let Some((first, rest)) = pairs.split_first() else {
            return;
        };
        let ld_first = if rest.is_empty() { ld + 1 } else { 0 };
        let pw = self.pp_pair(first, col, ind, ld_first, w, out);
        let (mut c, mut w) = (col + pw, pw);
        for (n, p) in rest.iter().enumerate() {
            let ld1 = if n + 1 < rest.len() { 0 } else { ld + 1 };
            let elen = 1 + pair_len(p) as isize;
            let atomic = p.0.is_atomic() && p.1.is_atomic();
            let packs = atomic
                && if ld1 == 0 {
                    elen + 1 < self.ll - c && w + elen + 1 <= self.m
                } else {
                    elen < self.ll - c - ld1 && w + elen + ld1 <= self.m
                };
            if packs {
                out.push(',');
                write_pair(p, out);
                c += elen;
                w += elen;
            } else {
                out.push_str(",\n");
                out.push_str(ind);
                let pw = self.pp_pair(p, col, ind, ld1, 0, out);
                c = col + pw;
                w = pw;
            }
        }
    }

    fn pp_pair(
        &self,
        p: &(If, If),
        col: isize,
        ind: &str,
        ld: isize,
        w: isize,
        out: &mut String,
    ) -> isize {
        let len = pair_len(p) as isize;
        if len < self.ll - col - ld && len + w + ld <= self.m {
            write_pair(p, out);
            return if p.0.is_atomic() && p.1.is_atomic() {
                len
            } else {
                self.ll
            };
        }
        let i = if self.tind > 0 { self.tind } else { 4 };
        let vind = format!("{}{ind}", " ".repeat(i as usize));
        self.pp(&p.0, col, ind, ld, w, out);
        out.push_str(" =>\n");
        out.push_str(&vind);
        self.pp(&p.1, col + i, &vind, ld, 0, out);
        self.ll
    }
}

/// OTP throws `no_good` when a tagged tuple's indentation would exceed half the line.
struct NoGood;

fn cfits(i: &If, col: isize, ll: isize, m: isize, ld: isize, w: isize) -> bool {
    (i.len as isize) < ll - col - ld && i.len as isize + w + ld <= m
}

/// `cind/7`: checks that tag indentation `ind` works for the whole term.
fn cind(
    i: &If,
    col: isize,
    ll: isize,
    m: isize,
    ind: isize,
    ld: isize,
    w: isize,
) -> Result<(), NoGood> {
    if cfits(i, col, ll, m, ld, w) {
        return Ok(());
    }
    match &i.node {
        Node::List(items, tail) => {
            cind_list(items, tail.as_deref(), col + 1, ll, m, ind, ld, w + 1)
        }
        Node::Tuple {
            tagged: true,
            items,
        } => cind_tag_tuple(items, col, ll, m, ind, ld, w + 1),
        Node::Tuple {
            tagged: false,
            items,
        } => cind_list(items, None, col + 1, ll, m, ind, ld, w + 1),
        Node::Map(pairs) => cind_map(pairs, col + 2, ll, m, ind, ld, w + 2),
        Node::Leaf(_) | Node::Bin(_) => Ok(()),
    }
}

#[allow(clippy::too_many_arguments)]
fn cind_tag_tuple(
    items: &[If],
    col: isize,
    ll: isize,
    m: isize,
    ind: isize,
    ld: isize,
    w: isize,
) -> Result<(), NoGood> {
    let tlen = items[0].len as isize;
    let tag_ind = tlen + 2;
    let tcol = col + tag_ind;
    if ind > 0 && tag_ind > ind {
        let col1 = col + ind;
        if m + col1 <= ll || col1 <= ll / 2 {
            cind_tail(
                Rest::Items(&items[1..], None),
                col1,
                tcol,
                ll,
                m,
                ind,
                ld,
                w + tlen,
            )
        } else {
            Err(NoGood)
        }
    } else if m + tcol < ll || tcol < ll / 2 {
        cind_list(&items[1..], None, tcol, ll, m, ind, ld, w + tlen + 1)
    } else {
        Err(NoGood)
    }
}

#[allow(clippy::too_many_arguments)]
fn cind_list(
    items: &[If],
    tail: Option<&If>,
    col0: isize,
    ll: isize,
    m: isize,
    ind: isize,
    ld: isize,
    w: isize,
) -> Result<(), NoGood> {
    let Some((first, rest)) = items.split_first() else {
        return Ok(());
    };
    let rest = Rest::Items(rest, tail);
    let we = cind_element(first, col0, ll, m, ind, rest.last_depth(ld), w)?;
    cind_tail(rest, col0, col0 + we, ll, m, ind, ld, w + we)
}

/// `cind_tail/8`, as a loop (see [`Layout::pp_tail`]).
#[allow(clippy::too_many_arguments)]
fn cind_tail(
    rest: Rest<'_>,
    col0: isize,
    mut col: isize,
    ll: isize,
    m: isize,
    ind: isize,
    ld: isize,
    mut w: isize,
) -> Result<(), NoGood> {
    let Rest::Items(mut items, tail) = rest;
    while let Some((e, more)) = items.split_first() {
        let ld1 = Rest::Items(more, tail).last_depth(ld);
        let elen = 1 + e.len as isize;
        let packs = e.is_atomic()
            && if ld1 == 0 {
                elen + 1 < ll - col && w + elen + 1 <= m
            } else {
                elen < ll - col - ld1 && w + elen + ld1 <= m
            };
        if packs {
            col += elen;
            w += elen;
        } else {
            let we = cind_element(e, col0, ll, m, ind, ld1, 0)?;
            col = col0 + we;
            w = we;
        }
        items = more;
    }
    match tail {
        Some(e) => {
            let len = e.len as isize;
            if e.is_atomic() && len + 1 < ll - col - (ld + 1) && len + 1 + w + (ld + 1) <= m {
                Ok(())
            } else {
                cind(e, col, ll, m, ind, ld + 1, 0)
            }
        }
        None => Ok(()),
    }
}

fn cind_element(
    e: &If,
    col: isize,
    ll: isize,
    m: isize,
    ind: isize,
    ld: isize,
    w: isize,
) -> Result<isize, NoGood> {
    if e.is_atomic() && cfits(e, col, ll, m, ld, w) {
        return Ok(e.len as isize);
    }
    cind(e, col, ll, m, ind, ld, w)?;
    Ok(ll)
}

#[allow(clippy::too_many_arguments)]
fn cind_map(
    pairs: &[(If, If)],
    col: isize,
    ll: isize,
    m: isize,
    ind: isize,
    ld: isize,
    w: isize,
) -> Result<(), NoGood> {
    let Some((first, rest)) = pairs.split_first() else {
        return Ok(());
    };
    let pw = cind_pair(
        first,
        col,
        ll,
        m,
        ind,
        if rest.is_empty() { ld + 1 } else { 0 },
        w,
    )?;
    let (mut c, mut w) = (col + pw, w + pw);
    for (n, p) in rest.iter().enumerate() {
        let ld1 = if n + 1 < rest.len() { 0 } else { ld + 1 };
        let elen = 1 + pair_len(p) as isize;
        let atomic = p.0.is_atomic() && p.1.is_atomic();
        let packs = atomic
            && if ld1 == 0 {
                elen + 1 < ll - c && w + elen + 1 <= m
            } else {
                elen < ll - c - ld1 && w + elen + ld1 <= m
            };
        if packs {
            c += elen;
            w += elen;
        } else {
            let pw = cind_pair(p, col, ll, m, ind, ld1, 0)?;
            c = col + pw;
            w = pw;
        }
    }
    Ok(())
}

fn cind_pair(
    p: &(If, If),
    col: isize,
    ll: isize,
    m: isize,
    ind: isize,
    ld: isize,
    w: isize,
) -> Result<isize, NoGood> {
    let len = pair_len(p) as isize;
    if len < ll - col - ld && len + w + ld <= m {
        return Ok(if p.0.is_atomic() && p.1.is_atomic() {
            len
        } else {
            ll
        });
    }
    cind(&p.0, col, ll, m, ind, ld, w)?;
    let i = if ind > 0 { ind } else { 4 };
    cind(&p.1, col + i, ll, m, ind, ld, 0)?;
    Ok(ll)
}

#[cfg(test)]
mod tests {
    use super::pretty;
    use crate::term::Term;

    /// A relup for a big release has one list of tens of thousands of instructions.
    #[test]
    fn a_list_of_100k_elements_lays_out_without_deep_recursion() {
        let list = Term::list(
            (0..100_000)
                .map(|i| Term::tuple(vec![Term::atom("load"), Term::int(i)]))
                .collect(),
        );
        let text = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || pretty(&list))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(text.lines().count(), 100_000);
    }
}
