//! The doubly linked list of call and return entries the search walks (Lowe's variant of
//! Wing & Gong): linearizing an operation lifts its call and return out of the list, and
//! backtracking puts them back where they were, both in O(1).

use crate::history::Entry;
use crate::model::EventKind;

/// No node: the end of the list, or "this is a return entry" in [`Node::matching_return`].
pub(crate) const NIL: u32 = u32::MAX;

/// The list's anchor; the first entry is `HEAD`'s successor.
pub(crate) const HEAD: u32 = 0;

#[derive(Clone, Copy, Debug)]
struct Node {
    prev: u32,
    next: u32,
    /// For a call, the node of its return; `NIL` for a return.
    matching_return: u32,
    op: u32,
}

/// Nodes live in one vector and link by index: node 0 is the head, node `i + 1` is entry
/// `i` of the partition.
pub(crate) struct EntryList {
    nodes: Vec<Node>,
}

impl EntryList {
    /// # Panics
    /// If a partition has 2^32 - 2 entries or more.
    pub(crate) fn new(entries: &[Entry], operations: usize) -> Self {
        assert!(
            entries.len() < NIL as usize - 1,
            "a partition of {} entries is too large to check",
            entries.len()
        );
        let mut return_node = vec![NIL; operations];
        for (position, entry) in entries.iter().enumerate() {
            if entry.kind == EventKind::Return {
                return_node[entry.op] = position as u32 + 1;
            }
        }
        let mut nodes = Vec::with_capacity(entries.len() + 1);
        nodes.push(Node {
            prev: NIL,
            next: if entries.is_empty() { NIL } else { 1 },
            matching_return: NIL,
            op: NIL,
        });
        for (position, entry) in entries.iter().enumerate() {
            let node = position as u32 + 1;
            nodes.push(Node {
                prev: node - 1,
                next: if position + 1 == entries.len() {
                    NIL
                } else {
                    node + 1
                },
                matching_return: match entry.kind {
                    EventKind::Call => return_node[entry.op],
                    EventKind::Return => NIL,
                },
                op: entry.op as u32,
            });
        }
        EntryList { nodes }
    }

    /// Whether every entry has been lifted out.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.nodes[HEAD as usize].next == NIL
    }

    #[inline]
    pub(crate) fn first(&self) -> u32 {
        self.nodes[HEAD as usize].next
    }

    #[inline]
    pub(crate) fn next(&self, node: u32) -> u32 {
        self.nodes[node as usize].next
    }

    #[inline]
    pub(crate) fn is_call(&self, node: u32) -> bool {
        self.nodes[node as usize].matching_return != NIL
    }

    #[inline]
    pub(crate) fn op(&self, node: u32) -> usize {
        self.nodes[node as usize].op as usize
    }

    /// Unlinks the call `call` and its return.
    #[inline]
    pub(crate) fn lift(&mut self, call: u32) {
        let Node {
            prev,
            next,
            matching_return,
            ..
        } = self.nodes[call as usize];
        // A call's return comes after it, so a call always has a successor.
        self.nodes[prev as usize].next = next;
        self.nodes[next as usize].prev = prev;
        // Read the return's links only now: unlinking the call may have changed them.
        let Node { prev, next, .. } = self.nodes[matching_return as usize];
        self.nodes[prev as usize].next = next;
        if next != NIL {
            self.nodes[next as usize].prev = prev;
        }
    }

    /// Relinks the call `call` and its return; calls must be unlifted in the reverse order
    /// of lifting, so their neighbours' links are as they were.
    #[inline]
    pub(crate) fn unlift(&mut self, call: u32) {
        let matching_return = self.nodes[call as usize].matching_return;
        let Node { prev, next, .. } = self.nodes[matching_return as usize];
        self.nodes[prev as usize].next = matching_return;
        if next != NIL {
            self.nodes[next as usize].prev = matching_return;
        }
        let Node { prev, next, .. } = self.nodes[call as usize];
        self.nodes[prev as usize].next = call;
        self.nodes[next as usize].prev = call;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(list: &EntryList) -> Vec<(usize, bool)> {
        let mut out = Vec::new();
        let mut node = list.first();
        while node != NIL {
            out.push((list.op(node), list.is_call(node)));
            node = list.next(node);
        }
        out
    }

    #[test]
    fn lifting_and_unlifting_restores_the_list() {
        use EventKind::{Call, Return};
        let entries: Vec<Entry> = [(0, Call), (1, Call), (0, Return), (1, Return)]
            .into_iter()
            .map(|(op, kind)| Entry { op, kind })
            .collect();
        let mut list = EntryList::new(&entries, 2);
        let before = walk(&list);
        let second_call = list.next(list.first());
        list.lift(second_call);
        assert_eq!(walk(&list), vec![(0, true), (0, false)]);
        list.lift(list.first());
        assert!(list.is_empty());
        list.unlift(1);
        list.unlift(second_call);
        assert_eq!(walk(&list), before);
    }
}
