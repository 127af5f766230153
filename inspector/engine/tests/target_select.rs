//! Key selectors: a `/^regex/` that is a plain word is tested without a regex, with exactly
//! the regex's result.
#![allow(clippy::unwrap_used)]

use inspector_engine::ruleset::targets::{Select, Target};
use inspector_engine::seclang::{Collection, Selector, VariableSpec};
use proptest::prelude::*;

fn select(re: &str) -> Select {
    let spec = VariableSpec {
        count: false,
        exclude: false,
        collection: Collection::Args,
        selector: Some(Selector::Regex(re.to_owned())),
    };
    Target::compile(&spec).unwrap().select.unwrap()
}

fn regex(re: &str) -> regex::bytes::Regex {
    regex::bytes::RegexBuilder::new(re).case_insensitive(true).build().unwrap()
}

#[test]
fn anchored_plain_words_skip_the_regex_and_the_rest_keep_it() {
    for word in ["^header_name_", "^_ga", "^Abc-9", "^_pk_ref", "^LEAKAGE\\\\\\/ERRORS", "^a\\.b"] {
        assert!(matches!(select(word), Select::Prefix(_)), "{word}");
    }
    for re in ["^a.b", "a|b", "^$", "^", "^a\\b", "^é", "^a\\<", "__utm", "WEB_ATTACK"] {
        assert!(matches!(select(re), Select::Regex(_)), "{re}");
    }
}

proptest! {
    #[test]
    fn a_prefix_selects_what_its_regex_selects(
        key in prop::collection::vec(prop::sample::select(b"hHeEaAdDrR_nNmM-9utgUTGkKsS/\\.\xe2\x84\xaa\xc5\xbf".to_vec()), 0..16),
    ) {
        for word in ["^header_name_", "^_ga", "^head-9", "^Ut", "^sk", "^ks", "^a\\/s", "^Kss", "^e\\\\\\/r", "^a\\.d"] {
            prop_assert_eq!(select(word).matches(&key), regex(word).is_match(&key), "/{}/ on {:?}", word, key);
        }
    }
}
