//! Config validation: every bad value is refused before anything is bound.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use clap::Parser;

use super::{Args, ConfigError, Mode, parse_duration};

fn args(extra: &[&str]) -> Result<super::Config, ConfigError> {
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let mut argv = vec!["inspector", "--rules", rules];
    argv.extend_from_slice(extra);
    Args::try_parse_from(argv).unwrap().validate()
}

#[test]
fn modes_and_upstream_marks() {
    let config = args(&["--upstream", "127.0.0.1:8080"]).unwrap();
    assert_eq!(config.mode, Mode::Upstream("127.0.0.1:8080".parse().unwrap()));
    assert_eq!(config.upstream_mark, None, "the explicit mode marks nothing");
    let config = args(&["--transparent", "redirect"]).unwrap();
    assert_eq!((config.mode, config.upstream_mark), (Mode::Redirect, Some(0x539)));
    let config = args(&["--transparent", "tproxy", "--upstream-mark", "6", "--spoof-client", "off"]).unwrap();
    assert_eq!((config.mode, config.upstream_mark), (Mode::Tproxy { spoof_client: false }, Some(6)));
    let config = args(&["--transparent", "tproxy", "--upstream-mark", "0"]).unwrap();
    assert_eq!((config.mode, config.upstream_mark), (Mode::Tproxy { spoof_client: true }, None));
    let config = args(&["--transparent", "tproxy"]).unwrap();
    assert_eq!(config.upstream_mark, Some(0x538), "the default avoids the tproxy mark's bit");
    let overlap = args(&["--transparent", "tproxy", "--upstream-mark", "0x539"]).unwrap_err();
    assert_eq!(overlap, ConfigError::MarkOverlap { mark: 0x539, tproxy: 1 });
    let v6 = args(&["--transparent", "redirect", "--listen", "[::]:15006"]).unwrap_err();
    assert_eq!(v6, ConfigError::TransparentV6("[::]:15006".parse().unwrap()));
    assert_eq!(args(&[]).unwrap_err(), ConfigError::NoMode);
    assert!(Args::try_parse_from(["inspector", "--upstream-mark", "0xzz"]).is_err());
}

#[test]
fn bad_values_are_refused() {
    let up = ["--upstream", "127.0.0.1:8080"];
    let with = |extra: &[&str]| args(&[&up[..], extra].concat());
    assert_eq!(with(&["--block-status", "200"]).unwrap_err(), ConfigError::BlockStatus(200));
    assert_eq!(with(&["--max-body", "0"]).unwrap_err(), ConfigError::Zero { flag: "max-body" });
    assert_eq!(with(&["--max-concurrent", "0"]).unwrap_err(), ConfigError::Zero { flag: "max-concurrent" });
    assert_eq!(with(&["--workers", "0"]).unwrap_err(), ConfigError::Zero { flag: "workers" });
    assert_eq!(with(&["--workers", "3"]).unwrap().workers, 3);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    assert_eq!(with(&[]).unwrap().workers, cores, "one serving lane per core by default");
    for flag in ["header-timeout", "body-timeout", "idle-timeout", "upstream-connect-timeout", "upstream-timeout"] {
        assert_eq!(with(&[&format!("--{flag}"), "0s"]).unwrap_err(), ConfigError::Zero { flag }, "{flag}");
    }
    let timeouts = with(&["--idle-timeout", "90s", "--upstream-timeout", "2m"]).unwrap().timeouts;
    assert_eq!((timeouts.idle, timeouts.upstream_response), (Duration::from_secs(90), Duration::from_secs(120)));
    assert_eq!(timeouts.upstream_connect, Duration::from_secs(5), "default");
    assert_eq!(with(&["--max-header-bytes", "10"]).unwrap_err(), ConfigError::HeaderBytes(10));
    assert!(matches!(with(&["--rules", "/nonexistent.conf"]).unwrap_err(), ConfigError::RulesFile(_)));
    let same = with(&["--listen", "127.0.0.1:9000", "--metrics-listen", "127.0.0.1:9000"]);
    assert!(matches!(same.unwrap_err(), ConfigError::SameAddress(_)));
}

#[test]
fn durations() {
    assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
    assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
    assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
    assert!(parse_duration("ten").is_err());
    assert!(parse_duration("5h").is_err());
}
