//! The layout pass of `io_lib_pretty` (`pp/6` and its helpers): where lines break and how
//! far they are indented.

use super::*;

/// What follows an element inside a list or tuple: more elements and an improper tail.
#[derive(Clone, Copy)]
pub(super) struct Rest<'a>(pub(super) &'a [If], pub(super) Option<&'a If>);

impl Rest<'_> {
    /// `last_depth/2`: 0 when more elements follow, else one more closing bracket.
    pub(super) fn last_depth(self, ld: isize) -> isize {
        if self.0.is_empty() { ld + 1 } else { 0 }
    }
}

/// The line length `Ll` and the character limit `M` of one `print` call, and the two tests
/// that `pp` and `cind` both make with them.
#[derive(Clone, Copy)]
pub(super) struct Limits {
    pub(super) ll: isize,
    pub(super) m: isize,
}

impl Limits {
    /// Whether a node fits on the rest of the line (`Len < Ll - Col - LD, Len + W + LD =< M`).
    pub(super) fn fits(self, i: &If, col: isize, ld: isize, w: isize) -> bool {
        (i.len as isize) < self.ll - col - ld && i.len as isize + w + ld <= self.m
    }

    /// Whether an atomic element of length `e_len` joins the current line in `pp_tail`.
    pub(super) fn packs(self, e_len: isize, col: isize, ld1: isize, w: isize) -> bool {
        if ld1 == 0 {
            e_len + 1 < self.ll - col && w + e_len + 1 <= self.m
        } else {
            e_len < self.ll - col - ld1 && w + e_len + ld1 <= self.m
        }
    }
}

/// The layout parameters of one `print` call.
pub(super) struct Layout<'t> {
    pub(super) ll: isize,
    pub(super) m: isize,
    pub(super) tind: isize,
    pub(super) tree: &'t Tree,
}

impl Layout<'_> {
    pub(super) fn limits(&self) -> Limits {
        Limits {
            ll: self.ll,
            m: self.m,
        }
    }

    pub(super) fn fits(&self, i: &If, col: isize, ld: isize, w: isize) -> bool {
        self.limits().fits(i, col, ld, w)
    }

    pub(super) fn packs(&self, e_len: isize, col: isize, ld1: isize, w: isize) -> bool {
        self.limits().packs(e_len, col, ld1, w)
    }

    pub(super) fn pp(&self, i: &If, col: isize, ind: &str, ld: isize, w: isize, out: &mut String) {
        crate::term::with_stack(|| self.pp_here(i, col, ind, ld, w, out));
    }

    pub(super) fn pp_here(
        &self,
        i: &If,
        col: isize,
        ind: &str,
        ld: isize,
        w: isize,
        out: &mut String,
    ) {
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

    pub(super) fn pp_tag_tuple(
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
    pub(super) fn pp_list(
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
    pub(super) fn pp_tail(
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

    pub(super) fn pp_element(
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

    pub(super) fn pp_map(
        &self,
        pairs: &[If],
        col: isize,
        ind: &str,
        ld: isize,
        w: isize,
        out: &mut String,
    ) {
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

    pub(super) fn pp_pair(
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
