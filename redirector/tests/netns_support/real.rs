//! The real inspector (`inspector/proxy`'s binary) in a lab netns: found next to the test's
//! target dir (`cargo test --workspace` builds it; `cargo build -p inspector` otherwise),
//! started with the policy file `redirector local --inspector-policy` wrote, and waited for
//! on `/readyz`. Also an HTTP GET from a lab netns ([`Lab::get`]).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::Lab;

/// `target/<profile>/inspector`, if built.
pub fn inspector_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join("inspector");
    path.is_file().then_some(path)
}

/// Whether the real inspector is there: a loud skip otherwise, a failure under CI=true.
pub fn inspector_or_skip(test: &str) -> Option<PathBuf> {
    let found = inspector_binary();
    if found.is_none() {
        let message = format!("{test} needs the inspector binary (cargo build -p inspector): SKIPPED");
        assert!(!std::env::var("CI").is_ok_and(|v| v == "true"), "{message}; CI=true, so this is a failure");
        eprintln!("\n!!!!! {message} !!!!!\n");
    }
    found
}

impl Lab {
    /// One HTTP GET of `target` from `ns`: `Ok((status, body))` or `Err(error kind)`.
    pub fn get(&self, ns: &str, ip: &str, port: u16, target: &str, timeout_ms: u64) -> Result<(u16, String), String> {
        let mut cmd = Self::helper(ns, &format!("get:{ip}:{port}:{timeout_ms}"));
        let out = cmd.env("CW_GET_TARGET", target).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().find_map(|l| l.strip_prefix("RESULT ")).unwrap_or("err no result").to_owned();
        let Some(rest) = line.strip_prefix("ok ") else { return Err(line.trim_start_matches("err ").to_owned()) };
        let (status, body) = rest.split_once(' ').unwrap_or((rest, ""));
        Ok((status.parse().unwrap_or(0), body.to_owned()))
    }

    /// Starts the real inspector in `ns` with `args` (killed by PID on drop), then waits for
    /// its `/readyz` on 127.0.0.1:15090 (the CRS compiles first).
    pub fn real_inspector(&mut self, ns: &str, binary: &PathBuf, args: &[String]) {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns]).arg(binary).args(args);
        cmd.args(["--metrics-listen", "127.0.0.1:15090"]).stdout(Stdio::null());
        self.adopt(cmd.spawn().unwrap());
        let start = Instant::now();
        while self.get(ns, "127.0.0.1", 15090, "/readyz", 500).map(|(s, _)| s) != Ok(200) {
            assert!(start.elapsed() < Duration::from_secs(60), "the inspector in {ns} never became ready");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The sum of the samples of `metric` in the inspector's `/metrics` in `ns` whose labels
    /// include every one of `labels` (`policy="x"`); other labels are ignored, so the test
    /// holds when the inspector adds some.
    pub fn metric(&self, ns: &str, metric: &str, labels: &[&str]) -> f64 {
        let (_, body) = self.get(ns, "127.0.0.1", 15090, "/metrics", 2000).unwrap();
        // The helper flattens the body onto one line: samples are separated by spaces.
        let words: Vec<&str> = body.split_whitespace().collect();
        words
            .windows(2)
            .filter(|w| w[0].starts_with(&format!("{metric}{{")) && labels.iter().all(|l| w[0].contains(l)))
            .filter_map(|w| w[1].parse::<f64>().ok())
            .sum()
    }
}
