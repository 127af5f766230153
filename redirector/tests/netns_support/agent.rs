//! A running `redirector local` (no --once), whose stdout lines the test waits for.

use std::io::{BufRead, BufReader};
use std::process::Child;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::Lab;

/// A running `redirector local` (no --once), its stdout lines read as they come.
pub struct Agent {
    lines: mpsc::Receiver<String>,
    /// Its index in the lab, for [`Lab::kill`].
    pub index: usize,
}

impl Agent {
    pub fn start(lab: &mut Lab, mut child: Child) -> Agent {
        let stdout = child.stdout.take().unwrap();
        let index = lab.adopt(child);
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                eprintln!("agent: {line}");
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Agent { lines, index }
    }

    /// The next line matching `want`, within 10 s.
    pub fn line(&mut self, want: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if want(&line) => return line,
                Ok(_) => {}
                Err(e) => panic!("the agent printed no expected line: {e}"),
            }
        }
    }
}
