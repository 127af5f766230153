//! The reference peer: nginx + ModSecurity v3 (Debian's connector) in a fresh temp prefix on
//! loopback, run in the foreground as our child and stopped by its PID when the guard drops
//! (on success, on error and on panic; on Ctrl-C the terminal's SIGINT reaches it too, as it
//! shares our process group).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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
    /// Writes the configs into `dir` (which must exist and be empty) and starts nginx.
    pub fn start(binary: &Path, dir: &Path, paranoia: u8, mode: EngineMode) -> Result<Self, Error> {
        let main = dir.join("main.conf");
        std::fs::write(&main, conf::modsec_main(dir, paranoia, mode)).map_err(|e| Error::io(&main, e))?;
        let port = free_port()?;
        let child = spawn(binary, dir, &conf::nginx_conf(dir, port))?;
        let mut me = Self { child, addr: SocketAddr::from(([127, 0, 0, 1], port)), dir: dir.to_path_buf() };
        me.wait_ready()?;
        Ok(me)
    }

    /// The JSON audit log (one line per transaction).
    pub fn audit_log(&self) -> PathBuf {
        self.dir.join("logs/audit.log")
    }

    fn wait_ready(&mut self) -> Result<(), Error> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(self.dir.join("logs/error.log")).unwrap_or_default();
                return Err(Error::Peer(format!("nginx exited at start ({status}):\n{log}")));
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(Error::Peer(format!("nginx did not listen on {} within 20 s", self.addr)))
    }
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
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("attack-tests-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    Ok(dir)
}
