//! Settings are checked before anything is rendered.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod nft_support;

use nft_support::nft::config::{ProxyExclusion, SidecarConfig};
use nft_support::{chain_config, sidecar_config};

#[test]
fn the_test_settings_are_valid() {
    chain_config().validate().unwrap();
    sidecar_config().validate().unwrap();
}

#[test]
fn bad_settings_name_their_field() {
    let field = |f: &dyn Fn(&mut nft_support::nft::config::ChainConfig)| {
        let mut c = chain_config();
        f(&mut c);
        c.validate().unwrap_err().field
    };
    assert_eq!(field(&|c| c.inspector_mac = "02:c0:ff:ee:01".into()), "inspector_mac");
    assert_eq!(field(&|c| c.bridge = "a bridge with spaces".into()), "bridge");
    assert_eq!(field(&|c| c.steer_mark = 0x3), "steer_mark");
    assert_eq!(field(&|c| c.tproxy_table = 254), "tproxy_table");
    let sidecar = |exclusion| SidecarConfig { exclusion, ..sidecar_config() }.validate().unwrap_err().field;
    assert_eq!(sidecar(ProxyExclusion::Uid(0)), "exclusion");
    assert_eq!(sidecar(ProxyExclusion::Mark(0)), "exclusion");
}
