//! The serving lanes: one thread per worker, each with its own single-threaded runtime, as
//! nginx has one event loop per worker process. The acceptor hands each new connection to the
//! lane with the fewest open jobs (connections and HTTP/2 streams), and the connection stays
//! there with everything it spawns, its upstream connections included ([`crate::pool`] keeps those per thread). A
//! request then never wakes another thread: on a shared 2-core machine, tokio's work-stealing
//! workers spent about a third more CPU per proxied request on those wake-ups.
//!
//! HTTP/2 multiplexes requests over one connection: hyper runs each stream as its own task,
//! and [`LaneExecutor`] spreads those over the lanes too, so one HTTP/2 client (a gRPC
//! channel) is not held to one core.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::mpsc;

/// A connection's work. Nothing of it runs before the lane polls it, so the sockets it makes
/// register with the lane's reactor.
type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

struct Lane {
    jobs: mpsc::UnboundedSender<Job>,
    open: Arc<AtomicUsize>,
}

/// The running lanes. They stop when this is dropped, which the acceptor and every
/// connection (through its [`LaneExecutor`]) prevent while they run.
pub struct Lanes {
    lanes: Vec<Lane>,
}

impl std::fmt::Debug for Lanes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lanes").field("count", &self.lanes.len()).finish()
    }
}

/// Counts a job as open until its future ends, however it ends.
struct OpenGuard(Arc<AtomicUsize>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Lanes {
    /// Starts `count` lanes (at least one), named `inspector-lane-N`.
    pub fn start(count: usize) -> io::Result<Lanes> {
        let lanes = (0..count.max(1)).map(Lane::start).collect::<io::Result<_>>()?;
        Ok(Lanes { lanes })
    }

    /// Runs `job` on the lane with the fewest open jobs (the first of equals).
    pub fn run(&self, job: impl Future<Output = ()> + Send + 'static) {
        let Some(lane) = self.lanes.iter().min_by_key(|l| l.open.load(Ordering::Relaxed)) else { return };
        lane.open.fetch_add(1, Ordering::Relaxed);
        let guard = OpenGuard(lane.open.clone());
        let job: Job = Box::pin(async move {
            let _guard = guard;
            job.await;
        });
        // A lane only stops when its sender is gone; a failed send drops the job (and its
        // connection), which the guard uncounts.
        let _ = lane.jobs.send(job);
    }
}

/// hyper's executor for the tasks a connection spawns (HTTP/2 streams): the least-loaded lane.
#[derive(Clone, Debug)]
pub struct LaneExecutor(pub Arc<Lanes>);

impl<F> hyper::rt::Executor<F> for LaneExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, task: F) {
        self.0.run(async move {
            let _ = task.await;
        });
    }
}

impl Lane {
    fn start(index: usize) -> io::Result<Lane> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (jobs, mut queue) = mpsc::unbounded_channel::<Job>();
        std::thread::Builder::new().name(format!("inspector-lane-{index}")).spawn(move || {
            runtime.block_on(async move {
                while let Some(job) = queue.recv().await {
                    drop(tokio::spawn(job));
                }
            });
        })?;
        Ok(Lane { jobs, open: Arc::new(AtomicUsize::new(0)) })
    }
}

#[cfg(test)]
mod tests;
