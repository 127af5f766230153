//! Background processes of the lab: started through `ip netns exec` (which execs, so the PID
//! is the program's), in their own process group (a Ctrl-C of the caller does not reach
//! them), output to a log file in the state dir, and recorded in the [`State`] at once; and
//! `attack-tests` itself run inside a netns ([`in_netns`]).

use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::bins::Binaries;
use super::state::{Process, State};
use crate::Error;

/// `program args` in netns `ns` (or here), logging to `<dir>/<role>.log`; its PID.
pub fn spawn(
    state: &mut State,
    dir: &Path,
    ns: Option<&str>,
    program: &Path,
    args: &[String],
    role: &str,
) -> Result<u32, Error> {
    let log_path = dir.join(format!("{role}.log"));
    let log = std::fs::File::create(&log_path).map_err(|e| Error::io(&log_path, e))?;
    let err = log.try_clone().map_err(|e| Error::io(&log_path, e))?;
    let mut cmd = match ns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns]).arg(program);
            c
        }
        None => Command::new(program),
    };
    cmd.args(args).stdin(Stdio::null()).stdout(log).stderr(err).process_group(0);
    let child = cmd.spawn().map_err(|e| Error::Config(format!("cannot start {}: {e}", program.display())))?;
    let name = program.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    state.processes.push(Process { pid: child.id(), program: name, role: role.to_owned() });
    state.save(dir)?;
    Ok(child.id())
}

/// Runs `check` until it returns `Ok`, at most `within`; the last error otherwise.
pub fn wait_for<T>(what: &str, within: Duration, mut check: impl FnMut() -> Result<T, String>) -> Result<T, Error> {
    let start = Instant::now();
    loop {
        match check() {
            Ok(v) => return Ok(v),
            Err(e) if start.elapsed() > within => {
                return Err(Error::Config(format!("{what} not ready after {within:?}: {e}")));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// `attack-tests ARGS` run in netns `ns`, `input` as JSON on stdin; its stdout parsed as JSON
/// (or taken as text for `String`).
pub fn in_netns<T: serde::de::DeserializeOwned>(
    bins: &Binaries,
    ns: &str,
    args: &[&str],
    input: Option<&impl serde::Serialize>,
) -> Result<T, String> {
    use std::io::Write as _;
    let mut cmd = std::process::Command::new("ip");
    cmd.args(["netns", "exec", ns]).arg(&bins.attack_tests).args(args);
    cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let text = input.map(|i| serde_json::to_string(i).unwrap_or_default()).unwrap_or_default();
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    serde_json::from_str(&stdout)
        .or_else(|_| serde_json::from_value(serde_json::Value::String(stdout)))
        .map_err(|e| e.to_string())
}
