//! The reference peer: nginx + ModSecurity v3 (Debian's connector) in a fresh temp prefix on
//! loopback, run in the foreground as our child and stopped by its PID when the guard drops
//! (on success, on error and on panic; on Ctrl-C the terminal's SIGINT reaches it too, as it
//! shares our process group).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::Error;
use crate::conf::{self, EngineMode};

/// The install hint printed when the peer is missing.
pub const INSTALL_HINT: &str = "apt-get install nginx libnginx-mod-http-modsecurity modsecurity-crs";

/// Finds the nginx binary and checks the module and CRS are installed.
pub fn locate() -> Result<PathBuf, Error> {
    let nginx = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or_else(|| Error::PeerMissing(format!("nginx not found; {INSTALL_HINT}")))?;
    for needed in [conf::MODULE, conf::CRS_SETUP, conf::CRS_RULES] {
        if !Path::new(needed).exists() {
            return Err(Error::PeerMissing(format!("{needed} is missing; {INSTALL_HINT}")));
        }
    }
    Ok(nginx)
}

/// A running nginx; killed (by PID) and reaped on drop.
#[derive(Debug)]
pub struct Nginx {
    child: Child,
    /// Where the WAF listens.
    pub addr: SocketAddr,
    /// The temp prefix (configs, logs, audit log).
    pub dir: PathBuf,
}

impl Nginx {
    /// Writes the configs into `dir` (which must exist and be empty) and starts nginx. The
    /// port is picked free and then released, so another process may take it before nginx
    /// binds it: that start is retried on a new port, up to [`START_ATTEMPTS`] times.
    pub fn start(binary: &Path, dir: &Path, paranoia: u8, mode: EngineMode) -> Result<Self, Error> {
        let main = dir.join("main.conf");
        std::fs::write(&main, conf::modsec_main(dir, paranoia, mode)).map_err(|e| Error::io(&main, e))?;
        let mut attempt = 1;
        loop {
            let port = free_port()?;
            let _ = std::fs::remove_file(dir.join("logs/error.log"));
            let child = spawn(binary, dir, &conf::nginx_conf(dir, port))?;
            let mut me = Self { child, addr: SocketAddr::from(([127, 0, 0, 1], port)), dir: dir.to_path_buf() };
            match me.wait_ready() {
                Err(Start::PortTaken(_)) if attempt < START_ATTEMPTS => attempt += 1,
                Err(Start::PortTaken(why) | Start::Failed(why)) => return Err(Error::Peer(why)),
                Ok(()) => return Ok(me),
            }
        }
    }

    /// The JSON audit log (one line per transaction).
    pub fn audit_log(&self) -> PathBuf {
        self.dir.join("logs/audit.log")
    }

    fn wait_ready(&mut self) -> Result<(), Start> {
        let deadline = Instant::now() + READY_WITHIN;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = self.error_log();
                let why = format!("nginx exited at start ({status}):\n{log}");
                return Err(if log.contains("Address already in use") {
                    Start::PortTaken(why)
                } else {
                    Start::Failed(why)
                });
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let log = self.error_log();
        Err(Start::Failed(format!(
            "nginx did not listen on {} within {READY_WITHIN:?}; its error log:\n{log}",
            self.addr
        )))
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("logs/error.log")).unwrap_or_default()
    }
}

/// Starts tried before giving up when the picked port was taken meanwhile.
const START_ATTEMPTS: u32 = 3;

/// How long nginx may take to load the CRS and listen: a few seconds alone, far more on a
/// 2-core machine busy with other tests.
const READY_WITHIN: Duration = Duration::from_secs(90);

/// Why a start failed: only a port taken between picking and binding is worth a retry.
enum Start {
    PortTaken(String),
    Failed(String),
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `config` as `dir/nginx.conf` and starts `binary` on it with `dir` as its prefix
/// (`logs/` and `tmp/` created first; the error log is `logs/error.log`).
pub fn spawn(binary: &Path, dir: &Path, config: &str) -> Result<Child, Error> {
    for sub in ["logs", "tmp"] {
        std::fs::create_dir_all(dir.join(sub)).map_err(|e| Error::io(dir, e))?;
    }
    let path = dir.join("nginx.conf");
    std::fs::write(&path, config).map_err(|e| Error::io(&path, e))?;
    Command::new(binary)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&path)
        .arg("-e")
        .arg(dir.join("logs/error.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::io(binary, e))
}

pub(crate) fn free_port() -> Result<u16, Error> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| Error::io("127.0.0.1:0", e))?;
    let addr = listener.local_addr().map_err(|e| Error::io("127.0.0.1:0", e))?;
    Ok(addr.port())
}

/// A fresh, empty temp directory for one run.
pub fn temp_dir() -> Result<PathBuf, Error> {
    // Runs in one process (parallel tests) are told apart by a counter, not only the clock.
    static RUNS: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("attack-tests-{}-{run}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    Ok(dir)
}
