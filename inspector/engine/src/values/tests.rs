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

/// One change to a collection, for the model test.
#[derive(Clone, Debug)]
enum Change {
    Push(u8, Vec<u8>),
    Set(u8, Vec<u8>),
    Remove(u8),
    Clear,
}

fn change() -> impl Strategy<Value = Change> {
    let key = 0u8..6;
    let value = proptest::collection::vec(any::<u8>(), 0..600);
    prop_oneof![
        4 => (key.clone(), value.clone()).prop_map(|(k, v)| Change::Push(k, v)),
        4 => (key.clone(), value).prop_map(|(k, v)| Change::Set(k, v)),
        1 => key.prop_map(Change::Remove),
        1 => Just(Change::Clear),
    ]
}

/// Keys `k0`..`k5`, upper-cased when odd, so that case-insensitivity is exercised.
fn key_name(k: u8) -> Vec<u8> {
    let name = format!("k{k}");
    if k % 2 == 1 { name.to_uppercase().into_bytes() } else { name.into_bytes() }
}

proptest! {
    /// The shared buffer (with in-place rewrites and compaction) behaves as a plain list of
    /// owned pairs does.
    #[test]
    fn a_collection_behaves_as_a_list_of_pairs(changes in proptest::collection::vec(change(), 0..80)) {
        let mut values = Values::new();
        let mut model: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let same = |a: &[u8], b: &[u8]| a.eq_ignore_ascii_case(b);
        for change in changes {
            match change {
                Change::Push(k, v) => {
                    values.push(key_name(k), &v);
                    model.push((key_name(k), v));
                }
                Change::Set(k, v) => {
                    let key = key_name(k);
                    values.set(&key.to_ascii_lowercase(), &v);
                    match model.iter().position(|(mk, _)| same(mk, &key)) {
                        Some(i) => {
                            model[i].1 = v;
                            let mut n = 0;
                            model.retain(|(mk, _)| { n += 1; n - 1 <= i || !same(mk, &key) });
                        }
                        None => model.push((key.to_ascii_lowercase(), v)),
                    }
                }
                Change::Remove(k) => {
                    values.remove(&key_name(k));
                    model.retain(|(mk, _)| !same(mk, &key_name(k)));
                }
                Change::Clear => {
                    values.clear();
                    model.clear();
                }
            }
            let listed: Vec<(&[u8], &[u8])> = model.iter().map(|(k, v)| (k.as_slice(), v.as_slice())).collect();
            prop_assert_eq!(values.iter().collect::<Vec<_>>(), listed);
            for k in 0..6 {
                let key = key_name(k);
                let expected: Vec<&[u8]> = model.iter().filter(|(mk, _)| same(mk, &key)).map(|(_, v)| v.as_slice()).collect();
                prop_assert_eq!(values.get(&key).map(|(_, v)| v).collect::<Vec<_>>(), expected);
            }
            prop_assert_eq!(values.combined_size(), model.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>());
        }
    }
}
