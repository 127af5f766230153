//! `attack-tests ftw --tests DIR_OR_FILE (--url http://HOST:PORT | --lab) [--audit-log PATH]
//! [--json]`: one line per test (PASS, FAIL, SKIP with the reason), a summary, exit code 1
//! on any failure. `--lab` reads the running lab's facts and runs the same command again
//! inside its client netns (`ip netns exec`), at `--lab-target`'s first HTTP port, with every
//! lab inspector's audit log.

use std::net::{SocketAddr, ToSocketAddrs as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde::Serialize;

use super::audit::Tail;
use super::check::{Runner, Verdict};
use crate::Error;
use crate::lab::cli::Place;
use crate::lab::{Facts, state};

/// `attack-tests ftw` flags.
#[derive(Clone, Debug, Args)]
pub struct FtwArgs {
    /// A go-ftw YAML file, or a directory of them (recursively).
    #[arg(long, env = "ATTACK_TESTS_FTW_TESTS")]
    pub tests: PathBuf,
    /// Where to send every stage (`http://HOST:PORT`; the tests' dest_addr/port are ignored).
    #[arg(long, env = "ATTACK_TESTS_FTW_URL", required_unless_present = "lab", conflicts_with = "lab")]
    pub url: Option<String>,
    /// Send from the running lab's client pod to `--lab-target`, through its inspector(s).
    #[arg(long)]
    pub lab: bool,
    /// The lab app to send to (its first HTTP port).
    #[arg(long, env = "ATTACK_TESTS_FTW_LAB_TARGET", default_value = "main-logic")]
    pub lab_target: String,
    #[command(flatten)]
    pub place: Place,
    /// The inspector's JSON audit log (repeatable); without one, log expectations are skipped.
    #[arg(long, env = "ATTACK_TESTS_FTW_AUDIT_LOG")]
    pub audit_log: Vec<PathBuf>,
    /// Timeout per stage, milliseconds.
    #[arg(long, default_value_t = 5000)]
    pub timeout_ms: u64,
    /// Print the results as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// One test's line of the result.
#[derive(Clone, Debug, Serialize)]
pub struct TestResult {
    /// Its name.
    pub test: String,
    /// The verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// The whole run.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Where the stages went.
    pub target: String,
    /// Tests that passed, failed, were skipped.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped.
    pub skipped: usize,
    /// Every test.
    pub results: Vec<TestResult>,
}

/// Runs the command.
pub fn main(args: &FtwArgs) -> Result<ExitCode, Error> {
    let tests = super::load(&args.tests)?;
    let Some(url) = &args.url else { return in_lab(args) };
    let addr = parse_url(url)?;
    let mut runner =
        Runner { addr, timeout: Duration::from_millis(args.timeout_ms.max(1)), audit: Tail::open(&args.audit_log) };
    let results: Vec<TestResult> =
        tests.iter().map(|t| TestResult { test: t.name.clone(), verdict: runner.run(t) }).collect();
    let count = |f: fn(&Verdict) -> bool| results.iter().filter(|r| f(&r.verdict)).count();
    let summary = Summary {
        target: addr.to_string(),
        passed: count(|v| matches!(v, Verdict::Pass)),
        failed: count(|v| matches!(v, Verdict::Fail(_))),
        skipped: count(|v| matches!(v, Verdict::Skip(_))),
        results,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary).map_err(|e| Error::Config(e.to_string()))?);
    } else {
        for r in &summary.results {
            match &r.verdict {
                Verdict::Pass => println!("PASS {}", r.test),
                Verdict::Fail(why) => println!("FAIL {}: {why}", r.test),
                Verdict::Skip(why) => println!("SKIP {}: {why}", r.test),
            }
        }
        let (p, f, s) = (summary.passed, summary.failed, summary.skipped);
        println!("ftw: {} tests to {addr}: {p} passed, {f} failed, {s} skipped", summary.results.len());
    }
    Ok(if summary.failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// `http://HOST:PORT[/]` to an address.
fn parse_url(url: &str) -> Result<SocketAddr, Error> {
    let bad = || Error::Config(format!("--url {url}: expected http://HOST:PORT"));
    let authority = url.strip_prefix("http://").ok_or_else(bad)?.trim_end_matches('/');
    authority.to_socket_addrs().map_err(|_| bad())?.next().ok_or_else(bad)
}

/// Runs this command again in the lab's client netns.
fn in_lab(args: &FtwArgs) -> Result<ExitCode, Error> {
    let dir = crate::lab::dir(&args.place.root, &args.place.name);
    let no_lab = || Error::Config(format!("no running lab in {} (attack-tests lab up)", dir.display()));
    let facts_json = state::State::load(&dir)?.and_then(|s| s.facts).ok_or_else(no_lab)?;
    let facts: Facts = serde_json::from_value(facts_json).map_err(|e| Error::Config(format!("lab facts: {e}")))?;
    let pod = facts.pod(&args.lab_target).ok_or_else(|| Error::Config(format!("no lab app {}", args.lab_target)))?;
    let port = pod
        .ports
        .iter()
        .find(|p| p.server == "http")
        .ok_or_else(|| Error::Config(format!("lab app {} has no HTTP port", args.lab_target)))?;
    let exe = std::env::current_exe().map_err(|e| Error::io("the attack-tests executable", e))?;
    let tests = std::fs::canonicalize(&args.tests).map_err(|e| Error::io(&args.tests, e))?;
    let mut cmd = std::process::Command::new("ip");
    cmd.args(["netns", "exec", &facts.client_netns]).arg(exe).arg("ftw").arg("--tests").arg(tests);
    cmd.arg("--url").arg(format!("http://{}:{}", pod.ip, port.port));
    cmd.arg("--timeout-ms").arg(args.timeout_ms.to_string());
    for log in facts.inspectors.iter().map(|i| &i.audit_log).chain(&args.audit_log) {
        cmd.arg("--audit-log").arg(log);
    }
    if args.json {
        cmd.arg("--json");
    }
    let status = cmd.status().map_err(|e| Error::io("ip netns exec (apt-get install iproute2)", e))?;
    Ok(if status.success() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
