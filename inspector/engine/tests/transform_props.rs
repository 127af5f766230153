//! Properties of every transformation: no panic on arbitrary bytes, `Borrowed` whenever the
//! output equals the input, and idempotence where ModSecurity's transformation is idempotent.

#![allow(clippy::unwrap_used)]

use std::borrow::Cow;

use inspector_engine::transform::trigger::{self, Trigger};
use inspector_engine::transform::{REGISTRY, lookup};
use proptest::prelude::*;

/// Transformations `f` with `f(f(x)) == f(x)` for every `x`.
const IDEMPOTENT: &[&str] = &[
    "lowercase",
    "uppercase",
    "removeNulls",
    "replaceNulls",
    "compressWhitespace",
    "removeWhitespace",
    "trim",
    "trimLeft",
    "trimRight",
    // Not parityEven7bit/parityOdd7bit: as in ModSecurity, the parity counts bit 7 too, so
    // a second pass flips it back.
    "parityZero7bit",
    "cmdLine",
    // Not removeCommentsChar: deleting `#` from `/#*` joins a new `/*`.
];

/// Bytes weighted towards the ones the decoders react to.
fn input() -> impl Strategy<Value = Vec<u8>> {
    let special =
        prop::sample::select(b"%+uU&#;xX\\/.*-<!>'\"^ \t\r\n\x0b\x0c\x00\xa0\xc2\xc3\xe2\xf0\x80=0fF9aA".to_vec());
    prop::collection::vec(prop_oneof![2 => special, 1 => any::<u8>()], 0..64)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_panic_and_borrowed_when_unchanged(bytes in input()) {
        for (name, f) in REGISTRY {
            let out = f(&bytes);
            if out.as_ref() == bytes.as_slice() {
                prop_assert!(matches!(out, Cow::Borrowed(_)), "t:{name} owns an unchanged value {bytes:?}");
            }
        }
    }

    #[test]
    fn input_without_trigger_bytes_comes_back_as_it_is(bytes in input()) {
        for (name, f) in REGISTRY {
            let Trigger::On(acts_on) = trigger::trigger_of(name) else { continue };
            let quiet: Vec<u8> = bytes.iter().copied().filter(|&b| !acts_on(b)).collect();
            let out = f(&quiet);
            let same = matches!(&out, Cow::Borrowed(b) if b.as_ptr() == quiet.as_ptr() && b.len() == quiet.len());
            prop_assert!(same, "t:{name} changes {quiet:?}, which has none of its trigger bytes");
            let bit = trigger::bit(name).unwrap();
            prop_assert!(!trigger::may_change(&quiet, bit), "t:{name}: the table disagrees with the trigger");
        }
    }

    #[test]
    fn idempotent_ones_are_idempotent(bytes in input()) {
        for name in IDEMPOTENT {
            let f = lookup(name).unwrap();
            let once = f(&bytes).into_owned();
            let twice = f(&once);
            prop_assert_eq!(twice.as_ref(), once.as_slice(), "t:{} of {:?}", name, bytes);
        }
    }
}

#[test]
fn clean_input_is_borrowed() {
    let clean = b"hello world 42";
    let changes = [
        "uppercase",
        "urlEncode",
        "hexEncode",
        "hexDecode",
        "base64Encode",
        "base64Decode",
        "base64DecodeExt",
        "length",
        "sha1",
        "md5",
        "sqlHexDecode",
        "utf8toUnicode",
        "removeWhitespace",
        "parityEven7bit",
        "parityOdd7bit",
    ];
    for (name, f) in REGISTRY {
        if !changes.contains(name) {
            assert!(matches!(f(clean), Cow::Borrowed(_)), "t:{name} copies a value it leaves unchanged");
        }
    }
}

#[test]
fn every_transformation_has_a_bit_and_any_ones_always_may_change() {
    for (name, _) in REGISTRY {
        let bit = trigger::bit(name).unwrap();
        if matches!(trigger::trigger_of(name), Trigger::Any) {
            assert!(trigger::may_change(b"", bit), "t:{name}");
        }
    }
    let url = trigger::bit("urlDecodeUni").unwrap() | trigger::bit("lowercase").unwrap();
    assert!(!trigger::may_change(b"red shoes", url));
    assert!(trigger::may_change(b"red%20shoes", url));
    assert!(trigger::may_change(b"Red", url));
}
