//! Policy-wide limits (nesting by scope, key count, complexity) and the expansion of `$or`
//! into flat alternatives of dotted key paths.

use super::compile::{Member, Object};
use super::condition::Condition;

/// One way to satisfy the policy: every key path must match one of its conditions.
pub(super) type Alternative = Vec<(String, Vec<Condition>)>;

/// Whether any key (inside `$or` too) holds an object rather than a condition list.
pub(super) fn has_nesting(object: &Object) -> bool {
    object.members.iter().any(|member| match member {
        Member::Nested(..) => true,
        Member::Leaf(..) => false,
        Member::Or(branches) => branches.iter().any(has_nesting),
    })
}

/// The number of keys that hold condition lists, in the largest `$or` alternative: AWS
/// counts the keys that carry values, not the objects that contain them.
pub(super) fn key_count(object: &Object) -> usize {
    object
        .members
        .iter()
        .map(|member| match member {
            Member::Nested(_, child) => key_count(child),
            Member::Leaf(..) => 1,
            Member::Or(branches) => branches.iter().map(key_count).max().unwrap_or(0),
        })
        .sum()
}

/// AWS's complexity measure: the product, over the keys of each `$or` alternative, of each
/// key's number of values times its nesting depth (top level 1), summed over alternatives.
/// Saturates rather than overflowing; it is never less than the number of alternatives.
pub(super) fn complexity(object: &Object) -> u64 {
    combinations(object, 1, 1)
}

fn combinations(object: &Object, depth: u64, so_far: u64) -> u64 {
    object
        .members
        .iter()
        .fold(so_far, |product, member| match member {
            Member::Nested(_, child) => combinations(child, depth + 1, product),
            Member::Leaf(_, conditions) => {
                let values = u64::try_from(conditions.len()).unwrap_or(u64::MAX);
                product.saturating_mul(values).saturating_mul(depth)
            }
            Member::Or(branches) => branches.iter().fold(0, |sum, branch| {
                sum.saturating_add(combinations(branch, depth, product))
            }),
        })
}

/// Expands `$or` into alternatives (at most the complexity, so call it once that is checked).
/// A key path written twice in one alternative keeps its last conditions, as AWS does.
pub(super) fn expand(object: &Object) -> Vec<Alternative> {
    let mut alternatives = vec![Alternative::new()];
    expand_into(object, "", &mut alternatives);
    alternatives
}

fn expand_into(object: &Object, prefix: &str, alternatives: &mut Vec<Alternative>) {
    for member in &object.members {
        match member {
            Member::Leaf(key, conditions) => {
                let path = join(prefix, key);
                for alternative in alternatives.iter_mut() {
                    write_leaf(alternative, &path, conditions);
                }
            }
            Member::Nested(key, child) => expand_into(child, &join(prefix, key), alternatives),
            Member::Or(branches) => {
                let base = std::mem::take(alternatives);
                for branch in branches {
                    let mut forked = base.clone();
                    expand_into(branch, prefix, &mut forked);
                    alternatives.extend(forked);
                }
            }
        }
    }
}

fn write_leaf(alternative: &mut Alternative, path: &str, conditions: &[Condition]) {
    match alternative
        .iter_mut()
        .find(|(existing, _)| existing == path)
    {
        Some((_, slot)) => *slot = conditions.to_vec(),
        None => alternative.push((path.to_owned(), conditions.to_vec())),
    }
}

/// AWS joins nested keys with `.`, so `{"a": {"b": …}}` and `{"a.b": …}` name one path.
fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}
