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

use super::Term;
use super::TermKind;
use super::print::{Encoding, write_term_as};

/// A node of the intermediate form with its one-line text length (`io_lib_pretty`'s
/// `{S, Len, Dots, More}` tuples).
pub(crate) struct If {
    node: Node,
    len: usize,
}

/// A byte range of the shared leaf buffer.
#[derive(Clone, Copy)]
struct Text {
    at: u32,
    bytes: u32,
}

/// A run of consecutive nodes in the arena.
#[derive(Clone, Copy)]
struct Kids {
    start: u32,
    count: u32,
}

/// `tail` value of a proper list.
const NO_TAIL: u32 = u32::MAX;

enum Node {
    /// Written as is and may share a line with its neighbours (OTP's `?ATM` case).
    Leaf(Text),
    /// A non-printable binary: written as is but never packed (`{bin, S}`).
    Bin(Text),
    /// A list: its elements, and the arena index of an improper tail (or [`NO_TAIL`]).
    List { items: Kids, tail: u32 },
    /// A tuple; tagged when its first element is an atom and it has more than one.
    Tuple { tagged: bool, items: Kids },
    /// A map: keys and values interleaved.
    Map { pairs: Kids },
    /// A compound written in advance because it always fits where it stands (see
    /// [`Tree::term_fitting`]): written as is, never packed with its neighbours.
    Written(Text),
}

impl If {
    /// The length of the term written on one line.
    pub(crate) fn one_line_len(&self) -> usize {
        self.len
    }

    fn is_atomic(&self) -> bool {
        matches!(self.node, Node::Leaf(_))
    }
}

/// Builds layout trees: the node arena and the leaf text buffer.
pub(crate) struct Tree {
    text: String,
    nodes: Vec<If>,
    enc: Encoding,
}

impl Tree {
    /// A builder whose leaf buffer starts with room for `bytes`.
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        Tree {
            text: String::with_capacity(bytes),
            nodes: Vec::new(),
            enc: Encoding::Unicode,
        }
    }

    fn push_text(&mut self, s: &str) -> (Text, usize) {
        let at = self.text.len();
        self.text.push_str(s);
        (
            Text {
                at: at as u32,
                bytes: s.len() as u32,
            },
            s.chars().count(),
        )
    }

    fn leaf(&mut self, s: &str) -> If {
        let (t, len) = self.push_text(s);
        If {
            node: Node::Leaf(t),
            len,
        }
    }

    fn store(&mut self, items: Vec<If>) -> Kids {
        let start = self.nodes.len() as u32;
        let count = items.len() as u32;
        self.nodes.extend(items);
        Kids { start, count }
    }

    fn kids(&self, k: Kids) -> &[If] {
        &self.nodes[k.start as usize..(k.start + k.count) as usize]
    }

    fn tail(&self, t: u32) -> Option<&If> {
        (t != NO_TAIL).then(|| &self.nodes[t as usize])
    }

    fn leaf_text(&self, t: Text) -> &str {
        &self.text[t.at as usize..(t.at + t.bytes) as usize]
    }

    /// The tree of a term (`print_length`).
    pub(crate) fn term(&mut self, t: &Term<'_>) -> If {
        print_length(t, self)
    }

    /// The tree of a compound term that will always be laid out on one line where it
    /// stands: one pre-written node instead of a node per subterm. The caller guarantees
    /// the position: `len < 80 - column - closing brackets` wherever the term is placed.
    pub(crate) fn term_fitting(&mut self, t: &Term<'_>, max_len: usize) -> If {
        let (nodes, text) = (self.nodes.len(), self.text.len());
        let full = print_length(t, self);
        if full.len > max_len || matches!(full.node, Node::Leaf(_) | Node::Bin(_)) {
            return full;
        }
        let mut written = String::with_capacity(full.len);
        self.write_into(&full, &mut written);
        self.nodes.truncate(nodes);
        self.text.truncate(text);
        let (t, len) = self.push_text(&written);
        If {
            node: Node::Written(t),
            len,
        }
    }

    /// An untagged tuple of trees.
    pub(crate) fn tuple(&mut self, items: Vec<If>) -> If {
        let len = list_length(items.iter(), 2);
        If {
            node: Node::Tuple {
                tagged: false,
                items: self.store(items),
            },
            len,
        }
    }

    /// A proper list of trees (not a printable string).
    pub(crate) fn list(&mut self, items: Vec<If>) -> If {
        if items.is_empty() {
            return self.leaf("[]");
        }
        let len = list_length(items.iter(), 2);
        If {
            node: Node::List {
                items: self.store(items),
                tail: NO_TAIL,
            },
            len,
        }
    }

    /// Appends the layout of the tree (`~tp` at column 1, line length 80) to `out`.
    pub(crate) fn layout_into(&self, root: &If, out: &mut String) {
        if matches!(root.node, Node::Leaf(_) | Node::Bin(_)) {
            self.write_into(root, out);
        } else {
            layout_to(self, root, 1, 80, out);
        }
    }

    fn write(&self, i: &If) -> String {
        let mut out = String::with_capacity(i.len);
        self.write_into(i, &mut out);
        out
    }

    /// The one-line text of a node (`write/1`).
    fn write_into(&self, i: &If, out: &mut String) {
        super::with_stack(|| self.write_into_here(i, out));
    }

    fn write_into_here(&self, i: &If, out: &mut String) {
        match i.node {
            Node::Leaf(t) | Node::Bin(t) | Node::Written(t) => out.push_str(self.leaf_text(t)),
            Node::List { items, tail } => {
                out.push('[');
                self.write_seq(self.kids(items), out);
                if let Some(t) = self.tail(tail) {
                    out.push('|');
                    self.write_into(t, out);
                }
                out.push(']');
            }
            Node::Tuple { items, .. } => {
                out.push('{');
                self.write_seq(self.kids(items), out);
                out.push('}');
            }
            Node::Map { pairs } => {
                out.push_str("#{");
                for (n, p) in self.kids(pairs).chunks(2).enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    self.write_pair(p, out);
                }
                out.push('}');
            }
        }
    }

    fn write_seq(&self, items: &[If], out: &mut String) {
        for (n, i) in items.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            self.write_into(i, out);
        }
    }

    fn write_pair(&self, pair: &[If], out: &mut String) {
        self.write_into(&pair[0], out);
        out.push_str(" => ");
        self.write_into(&pair[1], out);
    }
}

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

/// Sum of element lengths plus separators, starting from `acc` (`list_length/3`).
fn list_length<'a>(items: impl Iterator<Item = &'a If>, acc: usize) -> usize {
    let mut total = acc;
    for (n, i) in items.enumerate() {
        total += i.len + usize::from(n > 0);
    }
    total
}

/// `print_length/6`: the tree of a term, children stored in the arena.
fn print_length(t: &Term<'_>, tree: &mut Tree) -> If {
    super::with_stack(|| print_length_here(t, tree))
}

fn print_length_here(t: &Term<'_>, tree: &mut Tree) -> If {
    let enc = tree.enc;
    match &t.kind {
        TermKind::Tuple(items) if !items.is_empty() => {
            let kids: Vec<If> = items.iter().map(|i| print_length(i, tree)).collect();
            let tagged = kids.len() > 1 && items[0].as_atom().is_some();
            let len = list_length(kids.iter(), 2);
            If {
                node: Node::Tuple {
                    tagged,
                    items: tree.store(kids),
                },
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
                return tree.leaf(&one_line(t, enc));
            }
            let kids: Vec<If> = items.iter().map(|i| print_length(i, tree)).collect();
            let tail_if = tail.as_ref().map(|t| print_length(t, tree));
            let len = list_length(kids.iter().chain(tail_if.as_ref()), 2);
            let items = tree.store(kids);
            let tail = match tail_if {
                Some(t) => tree.store(vec![t]).start,
                None => NO_TAIL,
            };
            If {
                node: Node::List { items, tail },
                len,
            }
        }
        TermKind::Map(pairs) if !pairs.is_empty() => {
            let mut kids = Vec::with_capacity(pairs.len() * 2);
            let mut len = 3;
            for (n, (k, v)) in pairs.iter().enumerate() {
                let (k, v) = (print_length(k, tree), print_length(v, tree));
                len += k.len + 4 + v.len + usize::from(n > 0);
                kids.push(k);
                kids.push(v);
            }
            If {
                node: Node::Map {
                    pairs: tree.store(kids),
                },
                len,
            }
        }
        TermKind::Binary(b) if !b.is_empty() => {
            let s = one_line(t, enc);
            if s.starts_with("<<\"") {
                tree.leaf(&s)
            } else {
                let (text, len) = tree.push_text(&s);
                If {
                    node: Node::Bin(text),
                    len,
                }
            }
        }
        _ => {
            // Atoms, numbers and the like: written straight into the shared buffer.
            let at = tree.text.len();
            let _ = write_term_as(&mut tree.text, t, enc);
            let s = &tree.text[at..];
            let len = if s.is_ascii() {
                s.len()
            } else {
                s.chars().count()
            };
            If {
                node: Node::Leaf(Text {
                    at: at as u32,
                    bytes: s.len() as u32,
                }),
                len,
            }
        }
    }
}

fn pair_len(p: &[If]) -> usize {
    p[0].len + 4 + p[1].len
}

fn pair_atomic(p: &[If]) -> bool {
    p[0].is_atomic() && p[1].is_atomic()
}

/// What follows an element inside a list or tuple: more elements and an improper tail.
#[derive(Clone, Copy)]
struct Rest<'a>(&'a [If], Option<&'a If>);

impl Rest<'_> {
    /// `last_depth/2`: 0 when more elements follow, else one more closing bracket.
    fn last_depth(self, ld: isize) -> isize {
        if self.0.is_empty() { ld + 1 } else { 0 }
    }
}

/// The line length `Ll` and the character limit `M` of one `print` call, and the two tests
/// that `pp` and `cind` both make with them.
#[derive(Clone, Copy)]
struct Limits {
    ll: isize,
    m: isize,
}

impl Limits {
    /// Whether a node fits on the rest of the line (`Len < Ll - Col - LD, Len + W + LD =< M`).
    fn fits(self, i: &If, col: isize, ld: isize, w: isize) -> bool {
        (i.len as isize) < self.ll - col - ld && i.len as isize + w + ld <= self.m
    }

    /// Whether an atomic element of length `e_len` joins the current line in `pp_tail`.
    fn packs(self, e_len: isize, col: isize, ld1: isize, w: isize) -> bool {
        if ld1 == 0 {
            e_len + 1 < self.ll - col && w + e_len + 1 <= self.m
        } else {
            e_len < self.ll - col - ld1 && w + e_len + ld1 <= self.m
        }
    }
}

/// The layout parameters of one `print` call.
struct Layout<'t> {
    ll: isize,
    m: isize,
    tind: isize,
    tree: &'t Tree,
}

impl Layout<'_> {
    fn limits(&self) -> Limits {
        Limits {
            ll: self.ll,
            m: self.m,
        }
    }

    fn fits(&self, i: &If, col: isize, ld: isize, w: isize) -> bool {
        self.limits().fits(i, col, ld, w)
    }

    fn packs(&self, e_len: isize, col: isize, ld1: isize, w: isize) -> bool {
        self.limits().packs(e_len, col, ld1, w)
    }

    fn pp(&self, i: &If, col: isize, ind: &str, ld: isize, w: isize, out: &mut String) {
        super::with_stack(|| self.pp_here(i, col, ind, ld, w, out));
    }

    fn pp_here(&self, i: &If, col: isize, ind: &str, ld: isize, w: isize, out: &mut String) {
        if self.fits(i, col, ld, w) {
            return self.tree.write_into(i, out);
        }
        match i.node {
            Node::List { items, tail } => {
                out.push('[');
                self.pp_list(
                    Rest(self.tree.kids(items), self.tree.tail(tail)),
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
                self.pp_tag_tuple(self.tree.kids(items), col, ind, ld, w + 1, out);
                out.push('}');
            }
            Node::Tuple {
                tagged: false,
                items,
            } => {
                out.push('{');
                self.pp_list(
                    Rest(self.tree.kids(items), None),
                    col + 1,
                    &format!(" {ind}"),
                    ld,
                    ',',
                    w + 1,
                    out,
                );
                out.push('}');
            }
            Node::Map { pairs } => {
                out.push_str("#{");
                self.pp_map(
                    self.tree.kids(pairs),
                    col + 2,
                    &format!("  {ind}"),
                    ld,
                    w + 1,
                    out,
                );
                out.push('}');
            }
            // A written node always fits where it stands (`term_fitting`'s contract).
            Node::Leaf(_) | Node::Bin(_) | Node::Written(_) => self.tree.write_into(i, out),
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
        self.tree.write_into(tag, out);
        if self.tind > 0 && tag_ind > self.tind {
            let indent = format!("{}{ind}", " ".repeat(self.tind as usize));
            self.pp_tail(
                Rest(&items[1..], None),
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
            self.pp_list(
                Rest(&items[1..], None),
                tcol,
                &indent,
                ld,
                ',',
                w + tlen + 1,
                out,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn pp_list(
        &self,
        rest: Rest<'_>,
        col0: isize,
        ind: &str,
        ld: isize,
        sep: char,
        w: isize,
        out: &mut String,
    ) {
        let Some((first, more)) = rest.0.split_first() else {
            return;
        };
        let more = Rest(more, rest.1);
        let we = self.pp_element(first, col0, ind, more.last_depth(ld), w, out);
        self.pp_tail(more, col0, col0 + we, ind, ld, sep, w + we, out);
    }

    /// `pp_tail/10`, as a loop (a relup's instruction list can hold tens of thousands).
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
        let Rest(mut items, tail) = rest;
        while let Some((e, more)) = items.split_first() {
            let ld1 = Rest(more, tail).last_depth(ld);
            let elen = 1 + e.len as isize;
            if e.is_atomic() && self.packs(elen, col, ld1, w) {
                out.push(',');
                self.tree.write_into(e, out);
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
                self.tree.write_into(e, out);
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
            self.tree.write_into(e, out);
            e.len as isize
        } else {
            self.pp(e, col, ind, ld, w, out);
            self.ll
        }
    }

    fn pp_map(&self, pairs: &[If], col: isize, ind: &str, ld: isize, w: isize, out: &mut String) {
        let mut pairs = pairs.chunks(2);
        let Some(first) = pairs.next() else { return };
        let rest: Vec<&[If]> = pairs.collect();
        let pw = self.pp_pair(
            first,
            col,
            ind,
            if rest.is_empty() { ld + 1 } else { 0 },
            w,
            out,
        );
        let (mut c, mut w) = (col + pw, pw);
        for (n, p) in rest.iter().enumerate() {
            let ld1 = if n + 1 < rest.len() { 0 } else { ld + 1 };
            let elen = 1 + pair_len(p) as isize;
            if pair_atomic(p) && self.packs(elen, c, ld1, w) {
                out.push(',');
                self.tree.write_pair(p, out);
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
        p: &[If],
        col: isize,
        ind: &str,
        ld: isize,
        w: isize,
        out: &mut String,
    ) -> isize {
        let len = pair_len(p) as isize;
        if len < self.ll - col - ld && len + w + ld <= self.m {
            self.tree.write_pair(p, out);
            return if pair_atomic(p) { len } else { self.ll };
        }
        let i = if self.tind > 0 { self.tind } else { 4 };
        let vind = format!("{}{ind}", " ".repeat(i as usize));
        self.pp(&p[0], col, ind, ld, w, out);
        out.push_str(" =>\n");
        out.push_str(&vind);
        self.pp(&p[1], col + i, &vind, ld, 0, out);
        self.ll
    }
}

/// OTP throws `no_good` when a tagged tuple's indentation would exceed half the line.
struct NoGood;

/// `cind/7` and its helpers: checks that tag indentation `ind` works for the whole term.
struct Cind<'t> {
    ll: isize,
    m: isize,
    ind: isize,
    tree: &'t Tree,
}

impl Cind<'_> {
    fn fits(&self, i: &If, col: isize, ld: isize, w: isize) -> bool {
        Limits {
            ll: self.ll,
            m: self.m,
        }
        .fits(i, col, ld, w)
    }

    fn packs(&self, e_len: isize, col: isize, ld1: isize, w: isize) -> bool {
        Limits {
            ll: self.ll,
            m: self.m,
        }
        .packs(e_len, col, ld1, w)
    }

    fn cind(&self, i: &If, col: isize, ld: isize, w: isize) -> Result<(), NoGood> {
        if self.fits(i, col, ld, w) {
            return Ok(());
        }
        match i.node {
            Node::List { items, tail } => self.list(
                Rest(self.tree.kids(items), self.tree.tail(tail)),
                col + 1,
                ld,
                w + 1,
            ),
            Node::Tuple {
                tagged: true,
                items,
            } => self.tag_tuple(self.tree.kids(items), col, ld, w + 1),
            Node::Tuple {
                tagged: false,
                items,
            } => self.list(Rest(self.tree.kids(items), None), col + 1, ld, w + 1),
            Node::Map { pairs } => self.map(self.tree.kids(pairs), col + 2, ld, w + 2),
            Node::Leaf(_) | Node::Bin(_) | Node::Written(_) => Ok(()),
        }
    }

    fn tag_tuple(&self, items: &[If], col: isize, ld: isize, w: isize) -> Result<(), NoGood> {
        let tlen = items[0].len as isize;
        let tag_ind = tlen + 2;
        let tcol = col + tag_ind;
        if self.ind > 0 && tag_ind > self.ind {
            let col1 = col + self.ind;
            if self.m + col1 <= self.ll || col1 <= self.ll / 2 {
                self.tail(Rest(&items[1..], None), col1, tcol, ld, w + tlen)
            } else {
                Err(NoGood)
            }
        } else if self.m + tcol < self.ll || tcol < self.ll / 2 {
            self.list(Rest(&items[1..], None), tcol, ld, w + tlen + 1)
        } else {
            Err(NoGood)
        }
    }

    fn list(&self, rest: Rest<'_>, col0: isize, ld: isize, w: isize) -> Result<(), NoGood> {
        let Some((first, more)) = rest.0.split_first() else {
            return Ok(());
        };
        let more = Rest(more, rest.1);
        let we = self.element(first, col0, more.last_depth(ld), w)?;
        self.tail(more, col0, col0 + we, ld, w + we)
    }

    /// `cind_tail/8`, as a loop (see [`Layout::pp_tail`]).
    fn tail(
        &self,
        rest: Rest<'_>,
        col0: isize,
        mut col: isize,
        ld: isize,
        mut w: isize,
    ) -> Result<(), NoGood> {
        let Rest(mut items, tail) = rest;
        while let Some((e, more)) = items.split_first() {
            let ld1 = Rest(more, tail).last_depth(ld);
            let elen = 1 + e.len as isize;
            if e.is_atomic() && self.packs(elen, col, ld1, w) {
                col += elen;
                w += elen;
            } else {
                let we = self.element(e, col0, ld1, 0)?;
                col = col0 + we;
                w = we;
            }
            items = more;
        }
        match tail {
            Some(e) => {
                let len = e.len as isize;
                if e.is_atomic()
                    && len + 1 < self.ll - col - (ld + 1)
                    && len + 1 + w + (ld + 1) <= self.m
                {
                    Ok(())
                } else {
                    self.cind(e, col, ld + 1, 0)
                }
            }
            None => Ok(()),
        }
    }

    fn element(&self, e: &If, col: isize, ld: isize, w: isize) -> Result<isize, NoGood> {
        if e.is_atomic() && self.fits(e, col, ld, w) {
            return Ok(e.len as isize);
        }
        self.cind(e, col, ld, w)?;
        Ok(self.ll)
    }

    fn map(&self, pairs: &[If], col: isize, ld: isize, w: isize) -> Result<(), NoGood> {
        let mut pairs = pairs.chunks(2);
        let Some(first) = pairs.next() else {
            return Ok(());
        };
        let rest: Vec<&[If]> = pairs.collect();
        let pw = self.pair(first, col, if rest.is_empty() { ld + 1 } else { 0 }, w)?;
        let (mut c, mut w) = (col + pw, w + pw);
        for (n, p) in rest.iter().enumerate() {
            let ld1 = if n + 1 < rest.len() { 0 } else { ld + 1 };
            let elen = 1 + pair_len(p) as isize;
            if pair_atomic(p) && self.packs(elen, c, ld1, w) {
                c += elen;
                w += elen;
            } else {
                let pw = self.pair(p, col, ld1, 0)?;
                c = col + pw;
                w = pw;
            }
        }
        Ok(())
    }

    fn pair(&self, p: &[If], col: isize, ld: isize, w: isize) -> Result<isize, NoGood> {
        let len = pair_len(p) as isize;
        if len < self.ll - col - ld && len + w + ld <= self.m {
            return Ok(if pair_atomic(p) { len } else { self.ll });
        }
        self.cind(&p[0], col, ld, w)?;
        let i = if self.ind > 0 { self.ind } else { 4 };
        self.cind(&p[1], col + i, ld, 0)?;
        Ok(self.ll)
    }
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
