//! Category tree rules: at most three levels, no cycles, sibling names unique.

use std::collections::HashMap;

use super::CATEGORY_DEPTH_MAX;
use crate::error::{count, Reason};
use crate::FieldError;

/// One node as stored: id, parent, name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
}

/// Index over the merchant's categories.
pub struct Tree<'a> {
    by_id: HashMap<i64, &'a Node>,
    children: HashMap<Option<i64>, Vec<&'a Node>>,
}

impl<'a> Tree<'a> {
    pub fn new(nodes: &'a [Node]) -> Self {
        let mut by_id = HashMap::new();
        let mut children: HashMap<Option<i64>, Vec<&Node>> = HashMap::new();
        for n in nodes {
            by_id.insert(n.id, n);
            children.entry(n.parent_id).or_default().push(n);
        }
        Tree { by_id, children }
    }

    pub fn contains(&self, id: i64) -> bool {
        self.by_id.contains_key(&id)
    }

    /// Depth of a node (roots are 1).
    pub fn depth(&self, id: i64) -> usize {
        let mut d = 0;
        let mut cur = Some(id);
        while let Some(c) = cur {
            d += 1;
            cur = self.by_id.get(&c).and_then(|n| n.parent_id);
            if d > 64 {
                break;
            }
        }
        d
    }

    /// The node and all its descendants, the node first.
    pub fn subtree(&self, id: i64) -> Vec<i64> {
        let mut out = vec![id];
        let mut i = 0;
        while i < out.len() {
            if let Some(kids) = self.children.get(&Some(out[i])) {
                out.extend(kids.iter().map(|k| k.id));
            }
            i += 1;
        }
        out
    }

    /// Levels below the node including itself (a leaf has height 1).
    pub fn height(&self, id: i64) -> usize {
        1 + self.children.get(&Some(id)).map(|k| k.iter().map(|c| self.height(c.id)).max().unwrap_or(0)).unwrap_or(0)
    }

    /// The node and its ancestors, the node first (as far as they exist).
    pub fn ancestors(&self, id: i64) -> Vec<i64> {
        let mut out = Vec::new();
        let mut cur = Some(id);
        while let Some(c) = cur {
            let Some(n) = self.by_id.get(&c) else { break };
            out.push(n.id);
            cur = n.parent_id;
            if out.len() > 64 {
                break;
            }
        }
        out
    }

    /// Names from the root down to the node.
    pub fn path(&self, id: i64) -> Vec<String> {
        self.ancestors(id).iter().rev().filter_map(|a| self.by_id.get(a)).map(|n| n.name.clone()).collect()
    }

    /// The child of `parent` named `name`.
    pub fn child_named(&self, parent: Option<i64>, name: &str) -> Option<i64> {
        self.children.get(&parent).and_then(|k| k.iter().find(|n| n.name == name)).map(|n| n.id)
    }

    /// Check placing a node (new when `id` is None) named `name` under `parent`; returns its depth.
    pub fn check_placement(&self, id: Option<i64>, parent: Option<i64>, name: &str) -> Result<usize, FieldError> {
        if let Some(p) = parent {
            if !self.contains(p) {
                return Err(FieldError::new("parent_id", Reason::CategoryNoParent));
            }
            if let Some(me) = id {
                if self.subtree(me).contains(&p) {
                    return Err(FieldError::new("parent_id", Reason::CategoryCycle));
                }
            }
        }
        let depth = parent.map(|p| self.depth(p) + 1).unwrap_or(1);
        let height = id.map(|me| self.height(me)).unwrap_or(1);
        if depth + height - 1 > CATEGORY_DEPTH_MAX {
            return Err(FieldError::new("parent_id", Reason::CategoryTooDeep { max: count(CATEGORY_DEPTH_MAX) }));
        }
        if let Some(other) = self.child_named(parent, name) {
            if Some(other) != id {
                return Err(FieldError::new("name", Reason::CategorySiblingName { name: name.to_string() }));
            }
        }
        Ok(depth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(id: i64, parent: Option<i64>, name: &str) -> Node {
        Node { id, parent_id: parent, name: name.into() }
    }

    #[test]
    fn placement_rules() {
        let nodes = vec![n(1, None, "食品"), n(2, Some(1), "水果"), n(3, Some(2), "橙子"), n(4, None, "服装")];
        let t = Tree::new(&nodes);
        assert_eq!(t.depth(3), 3);
        assert_eq!(t.height(1), 3);
        assert_eq!(t.path(3), vec!["食品", "水果", "橙子"]);
        assert_eq!(t.check_placement(None, Some(2), "苹果").unwrap(), 3);
        assert_eq!(t.check_placement(None, Some(3), "脐橙").unwrap_err().field, "parent_id");
        assert_eq!(t.check_placement(None, Some(1), "水果").unwrap_err().field, "name");
        assert_eq!(t.check_placement(Some(1), Some(3), "食品").unwrap_err().field, "parent_id");
        // Moving 食品 (height 3) under 服装 would make four levels.
        assert!(t.check_placement(Some(1), Some(4), "食品").is_err());
        // Moving 水果 (height 2) under 服装 is fine.
        assert_eq!(t.check_placement(Some(2), Some(4), "水果").unwrap(), 2);
        assert_eq!(t.subtree(1), vec![1, 2, 3]);
        assert_eq!(t.ancestors(3), vec![3, 2, 1]);
        assert!(t.check_placement(None, Some(99), "x").is_err());
    }
}
