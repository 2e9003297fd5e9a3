//! `cind/6`: whether the rest of a list or tuple still fits the width the layout gave it.

use super::*;

/// OTP throws `no_good` when a tagged tuple's indentation would exceed half the line.
pub(super) struct NoGood;

/// `cind/7` and its helpers: checks that tag indentation `ind` works for the whole term.
pub(super) struct Cind<'t> {
    pub(super) ll: isize,
    pub(super) m: isize,
    pub(super) ind: isize,
    pub(super) tree: &'t Tree,
}

impl Cind<'_> {
    pub(super) fn fits(&self, i: &If, col: isize, ld: isize, w: isize) -> bool {
        Limits {
            ll: self.ll,
            m: self.m,
        }
        .fits(i, col, ld, w)
    }

    pub(super) fn packs(&self, e_len: isize, col: isize, ld1: isize, w: isize) -> bool {
        Limits {
            ll: self.ll,
            m: self.m,
        }
        .packs(e_len, col, ld1, w)
    }

    pub(super) fn cind(&self, i: &If, col: isize, ld: isize, w: isize) -> Result<(), NoGood> {
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

    pub(super) fn tag_tuple(
        &self,
        items: &[If],
        col: isize,
        ld: isize,
        w: isize,
    ) -> Result<(), NoGood> {
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

    pub(super) fn list(
        &self,
        rest: Rest<'_>,
        col0: isize,
        ld: isize,
        w: isize,
    ) -> Result<(), NoGood> {
        let Some((first, more)) = rest.0.split_first() else {
            return Ok(());
        };
        let more = Rest(more, rest.1);
        let we = self.element(first, col0, more.last_depth(ld), w)?;
        self.tail(more, col0, col0 + we, ld, w + we)
    }

    /// `cind_tail/8`, as a loop (see [`Layout::pp_tail`]).
    pub(super) fn tail(
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

    pub(super) fn element(&self, e: &If, col: isize, ld: isize, w: isize) -> Result<isize, NoGood> {
        if e.is_atomic() && self.fits(e, col, ld, w) {
            return Ok(e.len as isize);
        }
        self.cind(e, col, ld, w)?;
        Ok(self.ll)
    }

    pub(super) fn map(&self, pairs: &[If], col: isize, ld: isize, w: isize) -> Result<(), NoGood> {
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

    pub(super) fn pair(&self, p: &[If], col: isize, ld: isize, w: isize) -> Result<isize, NoGood> {
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
