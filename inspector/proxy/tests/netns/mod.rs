//! A small netns lab for the transparent-mode tests: two namespaces joined by a veth pair
//! (addresses in 10.253.9.0/24, only inside them), processes started in them, an nft
//! ruleset, all removed by `Drop` (processes killed by pid, then the namespaces deleted,
//! which also drops their nft tables and the veth pair), even when the test fails.
//! Root, `ip` and `nft` are required: [`prerequisites`] skips loudly without them, and fails
//! when `CI=true`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The lab's /24.
pub const NET: &str = "10.253.9";

/// Whether the netns tests can run here; says why not, loudly (a failure under `CI=true`).
pub fn prerequisites(test: &str) -> bool {
    let root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false);
    let tool = |name: &str| Command::new(name).arg("--version").output().is_ok_and(|o| o.status.success());
    let missing: Vec<&str> = [
        (!root).then_some("root"),
        (!tool("nft")).then_some("nft"),
        (!tool("ip") && Command::new("ip").arg("-V").output().is_err()).then_some("ip"),
        (!Path::new("/usr/bin/python3").exists()).then_some("/usr/bin/python3"),
        (!tool("curl")).then_some("curl"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if missing.is_empty() {
        return true;
    }
    let why = format!("{test}: SKIPPED (needs {})", missing.join(", "));
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}, and CI=true");
    eprintln!("\n!!!!!!!! {why} !!!!!!!!\n");
    false
}

/// Runs a command, panics with its output on failure; returns stdout.
pub fn run(argv: &[&str]) -> String {
    let out = Command::new(argv[0]).args(&argv[1..]).output().unwrap_or_else(|e| panic!("{argv:?}: {e}"));
    assert!(out.status.success(), "{argv:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Namespaces, the veth pairs joining them and the processes started in them.
pub struct Lab {
    tag: String,
    namespaces: Vec<String>,
    links: usize,
    children: Vec<Child>,
}

impl Lab {
    /// An empty lab; `tag` keeps names unique per test.
    pub fn new(tag: &str) -> Self {
        Self { tag: tag.to_owned(), namespaces: Vec::new(), links: 0, children: Vec::new() }
    }

    /// A new namespace (loopback up), deleted by `Drop`.
    pub fn ns(&mut self, role: &str) -> String {
        let name = format!("cwi-{}{role}-{}", self.tag, std::process::id() % 100_000);
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        run(&["ip", "netns", "add", &name]);
        self.namespaces.push(name.clone());
        self.exec(&name, &["ip", "link", "set", "lo", "up"]);
        name
    }

    /// A veth pair between `a` and `b`, with their addresses (`10.253.9.1/24`).
    pub fn link(&mut self, (a, a_ip): (&str, &str), (b, b_ip): (&str, &str)) {
        self.links += 1;
        let id = std::process::id() % 100_000;
        let (dev_a, dev_b) =
            (format!("cw{}{}a{id}", self.tag, self.links), format!("cw{}{}b{id}", self.tag, self.links));
        run(&["ip", "link", "add", &dev_a, "netns", a, "type", "veth", "peer", "name", &dev_b, "netns", b]);
        for (ns, dev, ip) in [(a, &dev_a, a_ip), (b, &dev_b, b_ip)] {
            self.exec(ns, &["ip", "addr", "add", ip, "dev", dev]);
            self.exec(ns, &["ip", "link", "set", dev, "up"]);
        }
    }

    /// Runs a command in `ns`, panics on failure; returns stdout.
    pub fn exec(&self, ns: &str, argv: &[&str]) -> String {
        run(&[&["ip", "netns", "exec", ns][..], argv].concat())
    }

    /// Runs a command in `ns`; stdout, or the error output.
    pub fn try_exec(&self, ns: &str, argv: &[&str]) -> Result<String, String> {
        let out = Command::new("ip").args(["netns", "exec", ns]).args(argv).output().map_err(|e| e.to_string())?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() { Ok(stdout) } else { Err(format!("{stdout}{}", String::from_utf8_lossy(&out.stderr))) }
    }

    /// Loads an nft ruleset into `ns`.
    pub fn nft(&self, ns: &str, ruleset: &str) {
        let file = std::env::temp_dir().join(format!("{ns}.nft"));
        std::fs::write(&file, ruleset).unwrap();
        self.exec(ns, &["nft", "-f", file.to_str().unwrap()]);
        let _ = std::fs::remove_file(file);
    }

    /// Starts a long-running process in `ns` (killed by `Drop`).
    pub fn spawn(&mut self, ns: &str, argv: &[&str], log: &Path) {
        let out = std::fs::File::create(log).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .args(argv)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        self.children.push(child);
    }

    /// Waits until `argv` succeeds in `ns` (a readiness probe).
    pub fn wait_for(&self, ns: &str, argv: &[&str], within: Duration) {
        let start = Instant::now();
        while start.elapsed() < within {
            if self.try_exec(ns, argv).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{argv:?} in {ns}: not ready after {within:?}");
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in &self.namespaces {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// An HTTP origin (python3) answering `hello` and appending `PEER_IP METHOD PATH` per request to `log`.
pub const ORIGIN: &str = r#"
import http.server, sys
log = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        with open(log, "a") as f:
            f.write("%s %s %s\n" % (self.client_address[0], self.command, self.path))
        body = b"hello from origin\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("0.0.0.0", int(sys.argv[1])), H).serve_forever()
"#;
