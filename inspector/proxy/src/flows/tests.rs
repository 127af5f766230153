//! Policy selection by original destination: a mapped destination gets its policy, an
//! unmapped one none (refused), and plain `--rules` inspect every destination.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::{Flows, Ruleset};
use crate::policy::Compiled;
use crate::rules;

fn loaded(name: &str, id: u64) -> rules::Loaded {
    let text = format!("SecRule ARGS \"@contains x\" \"id:{id},phase:2,deny\"\n");
    let mut loaded = rules::load_with(Some((&format!("/chainwall/policy/{name}.conf"), &text)), &[]).unwrap();
    loaded.policy = name.to_owned();
    loaded
}

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

#[test]
fn each_destination_gets_its_policy_and_an_unmapped_one_none() {
    let policies = BTreeMap::from([("shop".to_owned(), loaded("shop", 10)), ("api".to_owned(), loaded("api", 20))]);
    let flows = BTreeMap::from([
        (addr("10.0.0.5:8080"), "shop".to_owned()),
        (addr("10.0.0.6:8080"), "api".to_owned()),
        (addr("10.0.0.6:9090"), "api".to_owned()),
    ]);
    let namespaces = BTreeMap::from([(addr("10.0.0.5:8080"), "shop-ns".to_owned())]);
    let flows = Flows::from(Ruleset::PerFlow(Compiled { policies, flows, namespaces }));
    assert_eq!(flows.namespace(addr("10.0.0.5:8080")), "shop-ns");
    assert_eq!(flows.namespace(addr("10.0.0.6:8080")), "-", "no namespace in the flow map");
    assert_eq!(flows.select(addr("10.0.0.5:8080")).unwrap().policy, "shop");
    assert_eq!(flows.select(addr("10.0.0.6:9090")).unwrap().policy, "api");
    assert!(flows.select(addr("10.0.0.5:9090")).is_none(), "an unmapped port must be refused");
    assert_eq!(flows.label(addr("10.0.0.7:8080")), "-");
    assert_eq!(flows.ids.iter().copied().collect::<Vec<_>>(), [10, 20]);
    assert_eq!(flows.names(), ["api", "shop"]);
}

#[test]
fn plain_rules_inspect_every_destination() {
    let flows = Flows::from(Ruleset::Single(Box::new(loaded("-", 30))));
    assert_eq!(flows.select(addr("192.0.2.1:1")).unwrap().policy, "-");
    assert_eq!(flows.select(addr("10.0.0.5:8080")).unwrap().policy, "-");
}
