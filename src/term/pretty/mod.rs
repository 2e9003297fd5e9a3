//! A port of OTP's `io_lib_pretty` (stdlib 4.2), the `~p`/`~tp` layout: a term is written on
//! one line when it fits; otherwise lists and tuples break after commas, with OTP's exact
//! rules for which elements stay on the line (only "atomic" ones: atoms, numbers, strings,
//! printable binaries) and how a tagged tuple (`{tag, ...}`) is indented. `systools` writes
//! relup files with `~tp`, so byte-identical relups depend on this.
//!
//! Function names mirror OTP's (`print_length`, `pp`, `pp_tail`, `cind`, ...), so the two can
//! be read side by side; OTP's per-element tail recursion is written as loops. Depth and
//! character limits are not supported (relups use neither). Not ported: record printing, and
//! line-breaking inside non-printable binaries (`pp_binary`); maps are laid out in source
//! order.
//!
//! Memory: the intermediate tree lives in one arena of 24-byte nodes, children as index
//! ranges, and all leaf text in one buffer, so a relup of 100,000 instructions costs a few
//! bytes per character of output.

// The comparisons are written as OTP writes them (`ELen + 1 < Ll - Col`), to read side by side.
#![allow(clippy::int_plus_one)]

mod cind;
mod layout;
mod tree;

use super::Term;
use super::TermKind;
use super::print::{Encoding, write_term_as};

use cind::*;
use layout::*;
pub(crate) use tree::*;

/// `io_lib_pretty:print/6` as `~tp` calls it at column `col` with line length `ll`.
pub fn pretty_at(t: &Term<'_>, col: usize, ll: usize, enc: Encoding) -> String {
    let mut tree = Tree {
        text: String::new(),
        nodes: Vec::new(),
        enc,
    };
    let root = print_length(t, &mut tree);
    if !is_compound(t) {
        return tree.write(&root);
    }
    let mut out = String::with_capacity(root.len + root.len / 4);
    layout_to(&tree, &root, col.max(1), ll, &mut out);
    out
}

/// `io_lib:format("~tp", [T])` at the start of a line: line length 80, Unicode.
pub fn pretty(t: &Term<'_>) -> String {
    pretty_at(t, 1, 80, Encoding::Unicode)
}

/// Terms `print` lays out (others are written with `io_lib:write`).
fn is_compound(t: &Term<'_>) -> bool {
    matches!(
        t.kind,
        TermKind::Tuple(_)
            | TermKind::List(..)
            | TermKind::String(_)
            | TermKind::Map(_)
            | TermKind::Binary(_)
    )
}

/// `print/9` once the tree is built: on one line when it fits, else OTP's rules with the
/// tag indentation `cind` finds.
fn layout_to(tree: &Tree, root: &If, col: usize, ll: usize, out: &mut String) {
    let m = root.len as isize;
    let (ll, coli) = (ll as isize, col as isize);
    if root.len as isize >= ll - coli || root.len as isize > m {
        let tind = [-1isize, 4]
            .into_iter()
            .find(|&i| {
                Cind {
                    ll,
                    m,
                    ind: i,
                    tree,
                }
                .cind(root, coli, 0, 0)
                .is_ok()
            })
            .unwrap_or(1);
        let p = Layout { ll, m, tind, tree };
        p.pp(root, coli, &" ".repeat(col - 1), 0, 0, out);
    } else {
        tree.write_into(root, out);
    }
}

fn one_line(t: &Term<'_>, enc: Encoding) -> String {
    let mut s = String::new();
    let _ = write_term_as(&mut s, t, enc);
    s
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

    #[test]
    fn a_node_takes_24_bytes() {
        assert_eq!(std::mem::size_of::<super::If>(), 24);
    }
}
