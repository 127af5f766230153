//! `--check-config` and flag validation, through the real binary: exit 0 with a summary,
//! or exit 2 with `file:line: message`, before any port is bound.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::{Command, Output};

fn inspector(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_inspector")).args(args).env_remove("INSPECTOR_LOG").output().unwrap()
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_valid_rule_set_is_summarized() {
    let dir = support::scratch("check-ok");
    std::fs::write(dir.join("extra.conf"), "SecRule ARGS \"@rx evil\" \"id:11,phase:2,deny\"\nSecAuditLog /dev/null\n")
        .unwrap();
    std::fs::write(
        dir.join("main.conf"),
        "SecRuleEngine DetectionOnly\nSecRule REQUEST_URI \"@rx x\" \"id:10,phase:1,pass\"\nInclude extra.conf\n",
    )
    .unwrap();
    let main = dir.join("main.conf");
    let out = inspector(&["--check-config", "--rules", main.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("rules OK: 2 rules from 2 files"), "{stdout}");
    assert!(stdout.contains("phase 1: 1\n  phase 2: 1\n"), "{stdout}");
    assert!(stdout.contains("engine: DetectionOnly"), "{stdout}");
    assert!(stdout.contains("ignored: SecAuditLog at ") && stdout.contains("extra.conf:2"), "{stdout}");
}

#[test]
fn a_broken_rule_file_exits_2_with_file_and_line() {
    let dir = support::scratch("check-bad");
    let bad = dir.join("broken.conf");
    std::fs::write(&bad, "SecRuleEngine On\n\nSecRule ARGS \"@rx a\" \"id:5,phase:2,deny,nosuchaction\"\n").unwrap();
    let out = inspector(&["--check-config", "--rules", bad.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stderr.contains(&format!("{}:3: ", bad.display())), "{stderr}");
    let unknown_operator = dir.join("operator.conf");
    std::fs::write(&unknown_operator, "SecRule ARGS \"@nosuchop a\" \"id:6,phase:2,deny\"\n").unwrap();
    let out = inspector(&["--check-config", "--rules", unknown_operator.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("operator.conf:1: "), "{}", text(&out).1);
}

#[test]
fn bad_flags_exit_2_before_binding() {
    let ok = support::scratch("flags").join("ok.conf");
    std::fs::write(&ok, "SecRuleEngine On\n").unwrap();
    let rules = ok.to_str().unwrap();
    let out = inspector(&["--rules", rules, "--transparent", "redirect", "--listen", "[::1]:15006"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("must be an IPv4 address"), "{}", text(&out).1);
    let out = inspector(&["--rules", rules, "--upstream", "127.0.0.1:1", "--block-status", "200"]);
    assert_eq!(out.status.code(), Some(2));
    let out = inspector(&["--help"]);
    let help = text(&out).0;
    for flag in [
        "--listen",
        "--upstream",
        "--rules",
        "--metrics-listen",
        "--audit-log",
        "--block-status",
        "--max-body",
        "--check-config",
        "INSPECTOR_MAX_CONCURRENT",
        "INSPECTOR_UPSTREAM_MARK",
        "--spoof-client",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help:\n{help}");
    }
}
