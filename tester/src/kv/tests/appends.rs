//! The checks on a value built by appends (Go's `checkClntAppends` and
//! `checkConcurrentAppends`): each append is there once, in the order its clerk made it.

/// What client `client` appends as its `j`-th value.
pub(crate) fn element(client: usize, j: usize) -> String {
    format!("x {client} {j} y")
}

/// All `count` appends of client `client` are in `value`, each once and in order.
pub(crate) fn check_client_appends(client: usize, value: &str, count: usize) {
    let mut last_offset = None;
    for j in 0..count {
        let wanted = element(client, j);
        let Some(offset) = value.find(&wanted) else {
            panic!("{client} missing element {wanted} in Append result {value}");
        };
        if value.rfind(&wanted) != Some(offset) {
            panic!("duplicate element {wanted} in Append result");
        }
        if last_offset.is_some_and(|last| offset <= last) {
            panic!("wrong order for element {wanted} in Append result");
        }
        last_offset = Some(offset);
    }
}

/// For each client `i`, all `counts[i]` of its appends are in `value`, once and in order.
pub(crate) fn check_concurrent_appends(value: &str, counts: &[usize]) {
    for (client, &count) in counts.iter().enumerate() {
        check_client_appends(client, value, count);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_appends_in_order_and_rejects_a_duplicate_or_a_gap() {
        check_client_appends(0, "x 0 0 yx 0 1 y", 2);
        let duplicate = std::panic::catch_unwind(|| check_client_appends(0, "x 0 0 yx 0 0 y", 1));
        assert!(duplicate.is_err());
        let missing = std::panic::catch_unwind(|| check_client_appends(0, "x 0 1 y", 2));
        assert!(missing.is_err());
        let reordered = std::panic::catch_unwind(|| check_client_appends(0, "x 0 1 yx 0 0 y", 2));
        assert!(reordered.is_err());
    }
}
