use super::{Values, key_hash, lowercase_word};
use proptest::prelude::*;

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

#[test]
fn index_follows_removals_and_repeated_keys() {
    let mut c = Values::new();
    for i in 0..50 {
        c.push(format!("k{i}"), i.to_string());
    }
    c.push("K7", "again");
    c.remove(b"k3");
    assert_eq!(c.first(b"k3"), None);
    assert_eq!(c.get(b"k7").map(|(_, v)| v).collect::<Vec<_>>(), [&b"7"[..], &b"again"[..]]);
    c.set(b"K7", "one");
    assert_eq!(c.get(b"k7").collect::<Vec<_>>(), [(&b"k7"[..], &b"one"[..])]);
    assert_eq!(c.first(b"K49"), Some(&b"49"[..]));
    c.set(b"k3", "back");
    assert_eq!(c.iter().last(), Some((&b"k3"[..], &b"back"[..])));
    assert_eq!(c.len(), 50);
}

proptest! {
    #[test]
    fn word_lowercasing_is_ascii_lowercasing(bytes in any::<[u8; 8]>()) {
        let lowered = lowercase_word(u64::from_le_bytes(bytes)).to_le_bytes();
        prop_assert_eq!(lowered, bytes.map(|b| b.to_ascii_lowercase()));
    }

    #[test]
    fn keys_equal_but_for_ascii_case_hash_alike(key in proptest::collection::vec(any::<u8>(), 0..40), flips in any::<u64>()) {
        let other: Vec<u8> = key.iter().enumerate()
            .map(|(i, b)| if flips >> (i % 64) & 1 == 1 { b.to_ascii_uppercase() } else { *b })
            .collect();
        prop_assert_eq!(key_hash(&key), key_hash(&other));
    }
}

#[test]
fn every_ascii_byte_is_lowercased_in_every_lane() {
    for b in 0..=255u8 {
        for lane in 0..8 {
            let mut bytes = [b'a'; 8];
            bytes[lane] = b;
            let lowered = lowercase_word(u64::from_le_bytes(bytes)).to_le_bytes();
            assert_eq!(lowered[lane], b.to_ascii_lowercase(), "byte {b:#x} in lane {lane}");
        }
    }
}
