//! Set-element updates straight to the kernel over netlink, with no `nft` process: the
//! common case of a pod coming or going costs one batch on one socket (a fraction of a
//! millisecond) instead of a process start and a ruleset cache fill (several milliseconds).
//! The batch is one nf_tables transaction, all or nothing, like an `nft -f` file. Changes that
//! define tables, or touch interval sets and verdict maps, still go through `nft -f`.
//!
//! The socket is opened inside the target network namespace ([`crate::netns::within`]), and
//! it stays bound to that namespace. A [`Writer`] keeps one open per
//! namespace: closing a netfilter socket can wait for an RCU grace period (~10 ms here), which
//! would otherwise dominate every update.

pub mod ack;
pub mod message;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use crate::nft::diff::SetChange;
pub use message::Unsupported;

const NETLINK_NETFILTER: i32 = 12;
const AF_NETLINK: i32 = 16;

/// Why an element batch failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The changes need `nft -f`; nothing was sent.
    #[error("not an element batch: {0}")]
    Unsupported(#[from] Unsupported),
    /// The socket, the namespace or the exchange failed.
    #[error("netlink: {0}")]
    Io(#[from] io::Error),
    /// The kernel refused a message; the whole batch was rolled back.
    #[error("the kernel refused to {what}: {source}")]
    Refused {
        /// The message's description.
        what: String,
        /// The errno.
        source: io::Error,
    },
}

/// Applies `changes` in the network namespace at `netns` (`None`: this process's own) as one
/// transaction, on a socket of its own.
pub fn apply(netns: Option<&Path>, changes: &[SetChange]) -> Result<(), Error> {
    Writer::default().apply(netns, changes)
}

/// Open netfilter sockets by network namespace. A namespace file replaced since (a pod's
/// netns re-created under the same name) gets a new socket; [`Writer::retain`] closes the
/// sockets of namespaces no longer programmed (an open socket keeps its namespace alive).
#[derive(Debug, Default)]
pub struct Writer {
    sockets: HashMap<Option<PathBuf>, (Option<FileId>, Socket)>,
}

/// Device and inode: which namespace a path named when its socket was opened.
type FileId = (u64, u64);

impl Writer {
    /// Applies `changes` in the network namespace at `netns` (`None`: this process's own) as
    /// one transaction.
    pub fn apply(&mut self, netns: Option<&Path>, changes: &[SetChange]) -> Result<(), Error> {
        let batch = message::batch(changes, first_seq())?;
        if batch.acked.is_empty() {
            return Ok(());
        }
        let key = netns.map(Path::to_path_buf);
        let identity = netns.map(identity).transpose()?;
        let socket = match self.sockets.remove(&key) {
            Some((seen, socket)) if seen == identity => socket,
            _ => open(netns)?,
        };
        exchange(&socket, &batch)?;
        // Kept only after a clean exchange: a failed one may leave answers unread.
        self.sockets.insert(key, (identity, socket));
        Ok(())
    }

    /// Closes the sockets of namespaces `keep` says no.
    pub fn retain(&mut self, keep: impl Fn(Option<&Path>) -> bool) {
        self.sockets.retain(|netns, _| keep(netns.as_deref()));
    }
}

/// The [`FileId`] of a namespace file.
fn identity(path: &Path) -> io::Result<FileId> {
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::fs::metadata(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    Ok((meta.dev(), meta.ino()))
}

/// Sends the batch and waits for every acknowledgement it asked for.
fn exchange(socket: &Socket, batch: &message::Batch) -> Result<(), Error> {
    socket.set_read_timeout(Some(Duration::from_secs(2)))?;
    let sent = socket.send(&batch.bytes)?;
    if sent != batch.bytes.len() {
        return Err(io::Error::other(format!("sent {sent} of {} bytes", batch.bytes.len())).into());
    }
    let mut pending: Vec<&(u32, String)> = batch.acked.iter().collect();
    let mut buf = vec![0_u8; 64 * 1024];
    while !pending.is_empty() {
        let n = (&*socket).read(&mut buf)?;
        for ack in ack::acks(&buf[..n]) {
            let Some(at) = pending.iter().position(|(seq, _)| *seq == ack.seq) else { continue };
            let (_, what) = pending.remove(at);
            if ack.errno != 0 {
                return Err(Error::Refused { what: what.clone(), source: io::Error::from_raw_os_error(ack.errno) });
            }
        }
    }
    Ok(())
}

/// A sequence number unlikely to repeat across calls (the kernel only echoes it back).
fn first_seq() -> u32 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    now.subsec_nanos() ^ (now.as_secs() as u32).rotate_left(16)
}

/// A netfilter netlink socket in `netns`.
fn open(netns: Option<&Path>) -> io::Result<Socket> {
    let socket = || Socket::new(Domain::from(AF_NETLINK), Type::RAW, Some(Protocol::from(NETLINK_NETFILTER)));
    match netns {
        Some(path) => crate::netns::within(path, socket),
        None => socket(),
    }
}
