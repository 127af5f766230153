//! The alert rules in `deploy/prometheus/`: `promtool check rules` and `promtool test rules`
//! (Debian's `prometheus` package has promtool), and every inspector metric they use is one
//! the inspector exports. Without promtool the promtool part prints `SKIPPED` and passes,
//! except with `CI=true`, where it fails.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{CANARY, Upstream, inspector};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/prometheus")
}

fn promtool(args: &[&str]) -> Option<String> {
    let out = match Command::new("promtool").args(args).current_dir(dir()).output() {
        Ok(out) => out,
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => panic!("promtool: {e} (apt-get install prometheus)"),
        Err(e) => {
            eprintln!("SKIPPED (needs promtool: apt-get install prometheus): {e}");
            return None;
        }
    };
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "promtool {args:?} failed:\n{text}");
    Some(text)
}

#[test]
fn alert_rules_are_valid_and_their_unit_tests_pass() {
    let Some(checked) = promtool(&["check", "rules", "chainwall-alerts.yaml"]) else { return };
    assert!(checked.contains("SUCCESS: 7 rules found"), "{checked}");
    let tested = promtool(&["test", "rules", "chainwall-alerts.test.yaml"]).unwrap();
    assert!(tested.contains("SUCCESS"), "{tested}");
}

#[tokio::test]
async fn the_alerts_use_metrics_the_inspector_exports() {
    let rules = std::fs::read_to_string(dir().join("chainwall-alerts.yaml")).unwrap();
    let up = Upstream::start().await;
    // The canary makes a block; a body over a ProcessPartial limit makes a bypass.
    let rules_text =
        format!("SecRuleEngine On\nSecRequestBodyLimit 8\nSecRequestBodyLimitAction ProcessPartial\n{CANARY}");
    let proxy = inspector(up.addr, &rules_text, &[]).await;
    let post = http::Request::post(format!("http://{}/", proxy.proxy_addr)).body("0123456789abcdef".into()).unwrap();
    assert_eq!(support::send(post).await.0, 200);
    let exposition = support::get(format!("http://{}/metrics", proxy.admin_addr)).await.2;
    let mut used: Vec<&str> = rules
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("chainwall_") && !w.starts_with("chainwall_redirector_"))
        .collect();
    used.sort_unstable();
    used.dedup();
    assert!(used.len() >= 5, "{used:?}");
    for name in used {
        let family = name.strip_suffix("_total").unwrap_or(name);
        assert!(exposition.contains(&format!("# TYPE {family} ")), "{name} is not exported:\n{exposition}");
    }
}
