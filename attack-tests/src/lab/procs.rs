//! Background processes of the lab: started through `ip netns exec` (which execs, so the PID
//! is the program's), in their own process group (a Ctrl-C of the caller does not reach
//! them), output to a log file in the state dir, and recorded in the [`State`] at once.

use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
