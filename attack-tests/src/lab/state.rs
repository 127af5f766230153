//! What a lab created, recorded as it goes in `<state dir>/state.json` (network namespaces,
//! processes with their program name, the facts once complete), so that `lab down` removes
//! everything even after a crash of `lab up` or of the machine's shell.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::Error;

/// A process the lab started.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Process {
    /// Its PID.
    pub pid: u32,
    /// Its program's file name (checked in `/proc/PID/cmdline` before a kill: PIDs are reused).
    pub program: String,
    /// What it is, for messages.
    pub role: String,
}

/// The recorded state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// Network namespaces, in creation order.
    pub netns: Vec<String>,
    /// Processes, in start order.
    pub processes: Vec<Process>,
    /// The facts, once the lab is up.
    pub facts: Option<serde_json::Value>,
}

/// The state file of a lab directory.
pub fn path(dir: &Path) -> PathBuf {
    dir.join("state.json")
}

impl State {
    /// Reads the state of `dir`; `None` when there is none.
    pub fn load(dir: &Path) -> Result<Option<State>, Error> {
        let file = path(dir);
        match std::fs::read_to_string(&file) {
            Ok(text) => {
                serde_json::from_str(&text).map(Some).map_err(|e| Error::Config(format!("{}: {e}", file.display())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(&file, e)),
        }
    }

    /// Writes the state (temp file + rename).
    pub fn save(&self, dir: &Path) -> Result<(), Error> {
        let file = path(dir);
        let tmp = dir.join(".state.json.tmp");
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::Config(e.to_string()))?;
        std::fs::write(&tmp, text).map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, &file).map_err(|e| Error::io(&file, e))
    }

    /// Kills the processes (newest first, by PID, only if still running the recorded
    /// program), deletes the namespaces and the directory. Returns what it removed.
    pub fn teardown(&self, dir: &Path) -> Vec<String> {
        let mut done = Vec::new();
        for p in self.processes.iter().rev() {
            if running(p) {
                let _ = Command::new("kill").arg(p.pid.to_string()).status();
                let deadline = Instant::now() + Duration::from_secs(3);
                while running(p) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(20));
                }
                if running(p) {
                    let _ = Command::new("kill").args(["-KILL", &p.pid.to_string()]).status();
                }
                done.push(format!("process {} ({}, pid {})", p.role, p.program, p.pid));
            }
        }
        for ns in self.netns.iter().rev() {
            let ok = Command::new("ip").args(["netns", "del", ns]).stderr(std::process::Stdio::null()).status();
            if ok.is_ok_and(|s| s.success()) {
                done.push(format!("netns {ns}"));
            }
        }
        let _ = std::fs::remove_dir_all(dir);
        done
    }
}

/// Whether `p` still runs its recorded program (a zombie or a reused PID does not count).
fn running(p: &Process) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{}/status", p.pid)).unwrap_or_default();
    if status.lines().any(|l| l.starts_with("State:") && l.contains('Z')) {
        return false;
    }
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", p.pid)).unwrap_or_default();
    let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
    !argv0.is_empty() && String::from_utf8_lossy(argv0).ends_with(&p.program)
}
