//! Inspector health, from its `/readyz`: one plain HTTP/1.1 GET with a short timeout; a `200`
//! status line is healthy, anything else (refused, timeout, other status) is down. The probe
//! runs from the redirector's own netns (a node agent runs in the node's).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use redirector::nft::config::Health;

/// Where `/readyz` is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Readyz {
    /// Address and port.
    pub addr: SocketAddr,
    /// Path, with its leading `/`.
    pub path: String,
}

impl Readyz {
    /// `http://IP:PORT/path` (no host names: the agent must not depend on DNS).
    pub fn parse(url: &str) -> Result<Readyz> {
        let Some(rest) = url.strip_prefix("http://") else { bail!("{url:?}: only http:// URLs") };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let addr = authority.parse().with_context(|| format!("{url:?}: not http://IP:PORT/path"))?;
        let path = if path.is_empty() { "/".to_owned() } else { path.to_owned() };
        if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            bail!("{url:?}: the path has spaces or control characters");
        }
        Ok(Readyz { addr, path })
    }

    /// One probe.
    pub fn probe(&self, timeout: Duration) -> Health {
        let status = || -> std::io::Result<String> {
            let mut stream = TcpStream::connect_timeout(&self.addr, timeout)?;
            stream.set_read_timeout(Some(timeout))?;
            stream.set_write_timeout(Some(timeout))?;
            let request = format!("GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.path, self.addr);
            stream.write_all(request.as_bytes())?;
            let mut line = String::new();
            BufReader::new(stream).read_line(&mut line)?;
            Ok(line)
        };
        match status() {
            Ok(line) if line.split_whitespace().nth(1) == Some("200") => Health::Healthy,
            _ => Health::Down,
        }
    }
}
