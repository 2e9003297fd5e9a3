//! The intermediate form of `io_lib_pretty`: every term as a node with its one-line length
//! (`print_length/6`), children kept in one arena.

use super::*;

/// A node of the intermediate form with its one-line text length (`io_lib_pretty`'s
/// `{S, Len, Dots, More}` tuples).
pub(crate) struct If {
    pub(super) node: Node,
    pub(super) len: usize,
}

/// A byte range of the shared leaf buffer.
#[derive(Clone, Copy)]
pub(super) struct Text {
    pub(super) at: u32,
    pub(super) bytes: u32,
}

/// A run of consecutive nodes in the arena.
#[derive(Clone, Copy)]
pub(super) struct Kids {
    pub(super) start: u32,
    pub(super) count: u32,
}

/// `tail` value of a proper list.
pub(super) const NO_TAIL: u32 = u32::MAX;

pub(super) enum Node {
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

    pub(super) fn is_atomic(&self) -> bool {
        matches!(self.node, Node::Leaf(_))
    }
}

/// Builds layout trees: the node arena and the leaf text buffer.
pub(crate) struct Tree {
    pub(super) text: String,
    pub(super) nodes: Vec<If>,
    pub(super) enc: Encoding,
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

    pub(super) fn push_text(&mut self, s: &str) -> (Text, usize) {
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

    pub(super) fn leaf(&mut self, s: &str) -> If {
        let (t, len) = self.push_text(s);
        If {
            node: Node::Leaf(t),
            len,
        }
    }

    pub(super) fn store(&mut self, items: Vec<If>) -> Kids {
        let start = self.nodes.len() as u32;
        let count = items.len() as u32;
        self.nodes.extend(items);
        Kids { start, count }
    }

    pub(super) fn kids(&self, k: Kids) -> &[If] {
        &self.nodes[k.start as usize..(k.start + k.count) as usize]
    }

    pub(super) fn tail(&self, t: u32) -> Option<&If> {
        (t != NO_TAIL).then(|| &self.nodes[t as usize])
    }

    pub(super) fn leaf_text(&self, t: Text) -> &str {
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

    pub(super) fn write(&self, i: &If) -> String {
        let mut out = String::with_capacity(i.len);
        self.write_into(i, &mut out);
        out
    }

    /// The one-line text of a node (`write/1`).
    pub(super) fn write_into(&self, i: &If, out: &mut String) {
        crate::term::with_stack(|| self.write_into_here(i, out));
    }

    pub(super) fn write_into_here(&self, i: &If, out: &mut String) {
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

    pub(super) fn write_seq(&self, items: &[If], out: &mut String) {
        for (n, i) in items.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            self.write_into(i, out);
        }
    }

    pub(super) fn write_pair(&self, pair: &[If], out: &mut String) {
        self.write_into(&pair[0], out);
        out.push_str(" => ");
        self.write_into(&pair[1], out);
    }
}

/// Sum of element lengths plus separators, starting from `acc` (`list_length/3`).
pub(super) fn list_length<'a>(items: impl Iterator<Item = &'a If>, acc: usize) -> usize {
    let mut total = acc;
    for (n, i) in items.enumerate() {
        total += i.len + usize::from(n > 0);
    }
    total
}

/// `print_length/6`: the tree of a term, children stored in the arena.
pub(super) fn print_length(t: &Term<'_>, tree: &mut Tree) -> If {
    crate::term::with_stack(|| print_length_here(t, tree))
}

pub(super) fn print_length_here(t: &Term<'_>, tree: &mut Tree) -> If {
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
                        .is_some_and(crate::term::print::is_printable_latin1)
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

pub(super) fn pair_len(p: &[If]) -> usize {
    p[0].len + 4 + p[1].len
}

pub(super) fn pair_atomic(p: &[If]) -> bool {
    p[0].is_atomic() && p[1].is_atomic()
}
