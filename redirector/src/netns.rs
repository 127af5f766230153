//! Work inside another network namespace without moving the process: `setns` changes only the
//! calling thread, so [`within`] runs its closure on a scoped thread that enters the
//! namespace and ends with it. Sockets the closure opens stay in that namespace afterwards.

use std::fs::File;
use std::io;
use std::path::Path;

/// Runs `work` inside the network namespace at `path` (`/run/netns/NAME`, `/proc/PID/ns/net`).
pub fn within<T: Send>(path: &Path, work: impl FnOnce() -> io::Result<T> + Send) -> io::Result<T> {
    let ns = File::open(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                nix::sched::setns(&ns, nix::sched::CloneFlags::CLONE_NEWNET)
                    .map_err(|e| io::Error::other(format!("cannot enter {}: {e}", path.display())))?;
                work()
            })
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the netns thread panicked")))
    })
}
