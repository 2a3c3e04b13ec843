//! The checks on a value built by appends (Go's `checkClntAppends` and
//! `checkConcurrentAppends`): each append is there once, in the order its clerk made it.

/// What client `client` appends as its `j`-th value.
pub(crate) fn element(client: usize, j: usize) -> String {
    format!("x {client} {j} y")
}

/// All `count` appends of client `client` are in `value`, each once and in order. Go
/// searches the whole value for each element; one pass finds every place of every element
/// instead (a clerk makes thousands of appends here, and the value grows with them).
pub(crate) fn check_client_appends(client: usize, value: &str, count: usize) {
    let places = element_places(client, value, count);
    let mut last_offset = None;
    for (j, place) in places.into_iter().enumerate() {
        let Some(place) = place else {
            panic!(
                "{client} missing element {} in Append result {value}",
                element(client, j)
            );
        };
        if place.repeated {
            panic!("duplicate element {} in Append result", element(client, j));
        }
        if last_offset.is_some_and(|last| place.first <= last) {
            panic!(
                "wrong order for element {} in Append result",
                element(client, j)
            );
        }
        last_offset = Some(place.first);
    }
}

/// Where an element stands in a value: its first offset, and whether it stands elsewhere too.
#[derive(Debug, Clone, Copy)]
struct Place {
    first: usize,
    repeated: bool,
}

/// For each `j` below `count`, where `element(client, j)` stands in `value`. Every place of
/// `x {client} {j} y` begins with `x {client} ` (which cannot overlap itself: it has one
/// `x`), followed by `j`'s digits, which `element` writes without leading zeros.
fn element_places(client: usize, value: &str, count: usize) -> Vec<Option<Place>> {
    let prefix = format!("x {client} ");
    let mut places: Vec<Option<Place>> = vec![None; count];
    for (at, _) in value.match_indices(&prefix) {
        let rest = &value[at + prefix.len()..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let number = &rest[..digits];
        if digits == 0
            || (digits > 1 && number.starts_with('0'))
            || !rest[digits..].starts_with(" y")
        {
            continue;
        }
        let Ok(j) = number.parse::<usize>() else {
            continue;
        };
        if let Some(slot) = places.get_mut(j) {
            match slot {
                Some(place) => place.repeated = true,
                None => {
                    *slot = Some(Place {
                        first: at,
                        repeated: false,
                    })
                }
            }
        }
    }
    places
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

    /// The one-pass search agrees with Go's search of the whole value for each element.
    #[test]
    fn finds_what_a_search_for_each_element_finds() {
        let by_search = |client: usize, value: &str, count: usize| -> Vec<Option<(usize, bool)>> {
            (0..count)
                .map(|j| {
                    let wanted = element(client, j);
                    let first = value.find(&wanted)?;
                    Some((first, value.rfind(&wanted) != Some(first)))
                })
                .collect()
        };
        let values = [
            "",
            "x 0 0 yx 0 1 yx 0 2 y",
            "x 0 1 yx 0 0 yx 0 1 y",
            "x 0 01 yx 0 1 yx 1 0 yx 10 1 y",
            "x 0 11 yx 0 1x 0 1 y y",
            "x 1 0 yx 0 0 yx 11 0 yx 1 1 yx 0 0 y",
            "garbage x 0 3 y x 0 2 yx 0  1 yx 0 1yx 0 0 y",
        ];
        for value in values {
            for client in [0, 1, 10] {
                let places: Vec<_> = element_places(client, value, 4)
                    .into_iter()
                    .map(|place| place.map(|p| (p.first, p.repeated)))
                    .collect();
                assert_eq!(
                    places,
                    by_search(client, value, 4),
                    "client {client} in {value:?}"
                );
            }
        }
    }
}
