//! Set-element updates straight to the kernel over netlink, with no `nft` process: the
//! common case of a pod coming or going costs one batch on one socket (a fraction of a
//! millisecond) instead of a process start and a ruleset cache fill (several milliseconds).
//! The batch is one nf_tables transaction, all or nothing, like an `nft -f` file. Changes that
//! define tables, or touch interval sets and verdict maps, still go through `nft -f`.
//!
//! The socket is opened inside the target network namespace (on a short-lived thread that
//! enters it), and it stays bound to that namespace.

pub mod message;
#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
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
/// transaction.
pub fn apply(netns: Option<&Path>, changes: &[SetChange]) -> Result<(), Error> {
    let batch = message::batch(changes, first_seq())?;
    if batch.acked.is_empty() {
        return Ok(());
    }
    let socket = open(netns)?;
    socket.set_read_timeout(Some(Duration::from_secs(2)))?;
    let sent = socket.send(&batch.bytes)?;
    if sent != batch.bytes.len() {
        return Err(io::Error::other(format!("sent {sent} of {} bytes", batch.bytes.len())).into());
    }
    let mut pending: Vec<&(u32, String)> = batch.acked.iter().collect();
    let mut buf = vec![0_u8; 64 * 1024];
    while !pending.is_empty() {
        let n = (&socket).read(&mut buf)?;
        for ack in message::acks(&buf[..n]) {
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
    let Some(path) = netns else { return socket() };
    let ns = File::open(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    // setns changes the calling thread only: a scoped thread enters, opens, and ends.
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                nix::sched::setns(&ns, nix::sched::CloneFlags::CLONE_NEWNET)
                    .map_err(|e| io::Error::other(format!("cannot enter {}: {e}", path.display())))?;
                socket()
            })
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the netns thread panicked")))
    })
}
