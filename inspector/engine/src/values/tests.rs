use super::Values;

#[test]
fn keys_repeat_keep_order_and_compare_case_insensitively() {
    let mut c = Values::new();
    c.push("a", "1");
    c.push("B", "2");
    c.push("A", "3");
    assert_eq!(c.get(b"a").map(|(_, v)| v).collect::<Vec<_>>(), [b"1", b"3"]);
    assert_eq!(c.first(b"b"), Some(&b"2"[..]));
    assert_eq!(c.len(), 3);
    assert_eq!(c.combined_size(), 6);
}

#[test]
fn set_replaces_all_values_in_place_and_remove_drops_them() {
    let mut c = Values::new();
    c.push("x", "1");
    c.push("y", "2");
    c.push("X", "3");
    c.set(b"x", "9");
    assert_eq!(c.iter().collect::<Vec<_>>(), [(&b"x"[..], &b"9"[..]), (&b"y"[..], &b"2"[..])]);
    c.set(b"z", "7");
    assert_eq!(c.first(b"Z"), Some(&b"7"[..]));
    c.remove(b"Y");
    assert_eq!(c.len(), 2);
    assert!(!c.is_empty());
}
