//! Dependency order of the `update` / `load_module` / `add_module` / `delete_module`
//! instructions (`systools_rc:get_dependent_instructions/1` and its `digraph_utils` use).
//! The only module that uses petgraph.
//!
//! Input: for each dependency instruction, in script order, the indices of the instructions
//! it depends on (an edge `i → j` means "i depends on j"). Output: groups (weakly connected
//! components) in the order of their first member, each group's members in dependency order:
//!
//! * strongly connected components (dependency cycles) stay together, in script order;
//! * between them, a module comes before the modules it depends on;
//! * **tie-break** (documented divergence): where OTP leaves the order of two components to
//!   ETS hash iteration (it varies between VM runs), we take, among the components whose
//!   dependents are all placed, the one holding the lowest instruction index: a stable Kahn
//!   sort. Any order we give is one OTP can give.
//!
//! Cost: O((n + e) log n) for n instructions and e dependencies, with no recursion deep in the
//! input (Kosaraju over petgraph's iterative DFS), where OTP's is quadratic.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};

/// Dependency groups: each inner vector lists instruction indices in dependency order; the
/// groups are in the order of their first (lowest-index) member.
pub fn dependency_groups(deps: &[Vec<usize>]) -> Vec<Vec<usize>> {
    dependency_order(deps, None).to_vecs()
}

/// Like [`dependency_groups`], but where the dependencies leave a choice, the component whose
/// members have the lowest `rank` goes first (instead of the lowest index). Giving the
/// positions of an order OTP chose reproduces that order exactly.
pub fn dependency_groups_ranked(deps: &[Vec<usize>], rank: &[usize]) -> Vec<Vec<usize>> {
    dependency_order(deps, Some(rank)).to_vecs()
}

/// Groups in order, flattened: group `g` is `order[starts[g]..starts[g + 1]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Groups {
    order: Vec<usize>,
    starts: Vec<usize>,
}

impl Groups {
    /// The number of groups.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// True when there is no group.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Group `g`'s instruction indices, in dependency order.
    pub fn group(&self, g: usize) -> &[usize] {
        let end = self.starts.get(g + 1).copied().unwrap_or(self.order.len());
        &self.order[self.starts[g]..end]
    }

    /// The groups as separate vectors.
    pub fn to_vecs(&self) -> Vec<Vec<usize>> {
        (0..self.len()).map(|g| self.group(g).to_vec()).collect()
    }
}

/// [`dependency_groups`] (or `_ranked` with a rank) in flat form. Instructions that neither
/// depend on another nor are depended on are groups of their own and never enter the graph,
/// so a script of independent updates costs no graph work.
pub fn dependency_order(deps: &[Vec<usize>], rank: Option<&[usize]>) -> Groups {
    let n = deps.len();
    let mut linked = vec![false; n];
    for (from, targets) in deps.iter().enumerate() {
        for &to in targets {
            linked[from] = true;
            linked[to] = true;
        }
    }
    let nodes: Vec<usize> = (0..n).filter(|&i| linked[i]).collect();
    let mut sub = vec![usize::MAX; n];
    for (k, &i) in nodes.iter().enumerate() {
        sub[i] = k;
    }
    let sub_deps: Vec<Vec<usize>> = nodes
        .iter()
        .map(|&i| deps[i].iter().map(|&j| sub[j]).collect())
        .collect();
    let sub_rank: Vec<usize> = nodes.iter().map(|&i| rank.map_or(i, |r| r[i])).collect();
    let linked_groups = graph_groups(&sub_deps, &sub_rank);
    // Every group is emitted at its lowest member; linked groups come in that order already.
    let mut groups = Groups {
        order: Vec::with_capacity(n),
        starts: Vec::new(),
    };
    let firsts: Vec<usize> = linked_groups
        .iter()
        .map(|g| g.iter().map(|&k| nodes[k]).min().unwrap_or(usize::MAX))
        .collect();
    let mut next = 0;
    for (i, &is_linked) in linked.iter().enumerate() {
        if !is_linked {
            groups.starts.push(groups.order.len());
            groups.order.push(i);
        } else if firsts.get(next) == Some(&i) {
            groups.starts.push(groups.order.len());
            groups
                .order
                .extend(linked_groups[next].iter().map(|&k| nodes[k]));
            next += 1;
        }
    }
    groups
}

/// The graph part: weak components, their SCCs and the ranked topological order.
fn graph_groups(deps: &[Vec<usize>], rank: &[usize]) -> Vec<Vec<usize>> {
    let n = deps.len();
    let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(n, deps.iter().map(Vec::len).sum());
    for _ in 0..n {
        graph.add_node(());
    }
    for (from, targets) in deps.iter().enumerate() {
        for &to in targets {
            graph.add_edge(NodeIndex::new(from), NodeIndex::new(to), ());
        }
    }
    let sccs = strong_components(&graph, n);
    let component = weak_components(deps, n);
    order_groups(deps, &sccs, &component, rank)
}

/// Strongly connected components: `scc_of[i]` and each component's members in index order.
struct Sccs {
    scc_of: Vec<usize>,
    members: Vec<Vec<usize>>,
}

fn strong_components(graph: &DiGraph<(), ()>, n: usize) -> Sccs {
    let mut scc_of = vec![0; n];
    let mut members: Vec<Vec<usize>> = kosaraju_scc(graph)
        .into_iter()
        .map(|c| {
            let mut m: Vec<usize> = c.into_iter().map(NodeIndex::index).collect();
            m.sort_unstable();
            m
        })
        .collect();
    members.sort_unstable_by_key(|m| m[0]);
    for (s, m) in members.iter().enumerate() {
        for &i in m {
            scc_of[i] = s;
        }
    }
    Sccs { scc_of, members }
}

/// Weakly connected components by union-find; returns each instruction's component root.
fn weak_components(deps: &[Vec<usize>], n: usize) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for (from, targets) in deps.iter().enumerate() {
        for &to in targets {
            let (a, b) = (find(&mut parent, from), find(&mut parent, to));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    (0..n).map(|i| find(&mut parent, i)).collect()
}

/// A ready strong component in the heap: ((rank, lowest index), component).
type ReadyKey = ((usize, usize), usize);

/// Kahn's algorithm over the condensation, one weak component at a time, ready components
/// taken by lowest instruction index.
fn order_groups(
    deps: &[Vec<usize>],
    sccs: &Sccs,
    component: &[usize],
    rank: &[usize],
) -> Vec<Vec<usize>> {
    let s = sccs.members.len();
    let mut out_edges: Vec<Vec<usize>> = vec![Vec::new(); s];
    let mut indegree = vec![0usize; s];
    for (from, targets) in deps.iter().enumerate() {
        for &to in targets {
            let (a, b) = (sccs.scc_of[from], sccs.scc_of[to]);
            if a != b {
                out_edges[a].push(b);
                indegree[b] += 1;
            }
        }
    }
    // Ready components per weak component, keyed by their lowest rank.
    let key = |scc: usize| {
        sccs.members[scc]
            .iter()
            .map(|&m| (rank[m], m))
            .min()
            .unwrap_or((0, 0))
    };
    let mut ready: Vec<BinaryHeap<Reverse<ReadyKey>>> = vec![BinaryHeap::new(); deps.len()];
    let mut group_order: Vec<usize> = Vec::new();
    let mut seen = vec![false; deps.len()];
    for &root in component {
        if !seen[root] {
            seen[root] = true;
            group_order.push(root);
        }
    }
    for (scc, members) in sccs.members.iter().enumerate() {
        if indegree[scc] == 0 {
            ready[component[members[0]]].push(Reverse((key(scc), scc)));
        }
    }
    group_order
        .into_iter()
        .map(|root| {
            let mut group = Vec::new();
            while let Some(Reverse((_, scc))) = ready[root].pop() {
                group.extend_from_slice(&sccs.members[scc]);
                for &next in &out_edges[scc] {
                    indegree[next] -= 1;
                    if indegree[next] == 0 {
                        ready[root].push(Reverse((key(next), next)));
                    }
                }
            }
            group
        })
        .collect()
}

/// The dependency cycles (strongly connected components of more than one instruction, or an
/// instruction that depends on itself), each in index order. Used to explain an order.
pub fn dependency_cycles(deps: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = deps.len();
    let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(n, 0);
    for _ in 0..n {
        graph.add_node(());
    }
    for (from, targets) in deps.iter().enumerate() {
        for &to in targets {
            graph.add_edge(NodeIndex::new(from), NodeIndex::new(to), ());
        }
    }
    strong_components(&graph, n)
        .members
        .into_iter()
        .filter(|m| m.len() > 1 || deps[m[0]].contains(&m[0]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependents_come_before_their_dependencies() {
        // 0 depends on 1, 1 on 2.
        assert_eq!(
            dependency_groups(&[vec![1], vec![2], vec![]]),
            vec![vec![0, 1, 2]]
        );
        // Listed the other way round: still dependents first.
        assert_eq!(
            dependency_groups(&[vec![], vec![0], vec![1]]),
            vec![vec![2, 1, 0]]
        );
    }

    #[test]
    fn independent_instructions_are_separate_groups_in_order() {
        assert_eq!(
            dependency_groups(&[vec![], vec![], vec![]]),
            vec![vec![0], vec![1], vec![2]]
        );
    }

    #[test]
    fn cycle_keeps_script_order() {
        // 0 → 2, 1 → 0, 2 → 1: one cycle.
        assert_eq!(
            dependency_groups(&[vec![2], vec![0], vec![1]]),
            vec![vec![0, 1, 2]]
        );
        assert_eq!(
            dependency_cycles(&[vec![2], vec![0], vec![1]]),
            vec![vec![0, 1, 2]]
        );
    }

    #[test]
    fn ties_broken_by_lowest_index() {
        // 0 depends on 2 and 1; 1 and 2 are unordered: 1 (lower index) first.
        assert_eq!(
            dependency_groups(&[vec![2, 1], vec![], vec![]]),
            vec![vec![0, 1, 2]]
        );
    }

    #[test]
    fn rank_overrides_the_tie_break() {
        // As above, but rank 2 before 1.
        assert_eq!(
            dependency_groups_ranked(&[vec![2, 1], vec![], vec![]], &[0, 2, 1]),
            vec![vec![0, 2, 1]]
        );
    }

    #[test]
    fn long_chain_does_not_overflow_the_stack() {
        let n = 200_000;
        let deps: Vec<Vec<usize>> = (0..n)
            .map(|i| if i + 1 < n { vec![i + 1] } else { vec![] })
            .collect();
        let groups = dependency_groups(&deps);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0], (0..n).collect::<Vec<_>>());
    }
}
