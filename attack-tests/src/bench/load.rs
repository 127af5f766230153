//! The load generator, the same for every target: `connections` threads, each driving one
//! keep-alive connection, for a fixed duration. Closed loop (each connection sends its next
//! request when the previous answer is in: saturation throughput) or paced (open loop at a
//! fixed total rate; latency counts from the scheduled send time, so a stalled server is not
//! hidden by the generator waiting for it). Both are bounded by the duration.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::conn::Conn;

/// What one run measured.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Answered requests per second (any status).
    pub rps: f64,
    /// Median latency, ms.
    pub p50: f64,
    /// 99th percentile latency, ms.
    pub p99: f64,
    /// Answers other than 200, and transport errors.
    pub errors: u64,
    /// Requests answered.
    pub requests: u64,
}

/// The run with the median throughput; errors and requests are those of every run, so
/// none is hidden.
pub fn median(mut runs: Vec<Summary>) -> Summary {
    runs.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    let (errors, requests) = runs.iter().fold((0, 0), |(e, r), s| (e + s.errors, r + s.requests));
    let middle = runs.get(runs.len() / 2).cloned().unwrap_or_default();
    Summary { errors, requests, ..middle }
}

/// How requests are sent.
#[derive(Clone, Copy, Debug)]
pub enum Pace {
    /// Back to back on each connection.
    Closed,
    /// This many requests per second in total, spread evenly over the connections.
    Rate(f64),
}

/// Runs `request` against `addr` for `duration`.
pub fn run(addr: SocketAddr, request: &Arc<[u8]>, connections: usize, duration: Duration, pace: Pace) -> Summary {
    let start = Instant::now();
    let deadline = start + duration;
    let threads: Vec<_> = (0..connections)
        .map(|i| {
            let request = Arc::clone(request);
            let interval = match pace {
                Pace::Closed => None,
                Pace::Rate(rate) => Some(Duration::from_secs_f64(connections as f64 / rate.max(1.0))),
            };
            // Paced connections start staggered across one interval.
            let first = start + interval.map_or(Duration::ZERO, |iv| iv.mul_f64(i as f64 / connections as f64));
            std::thread::spawn(move || connection(addr, &request, first, interval, deadline))
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for thread in threads {
        if let Ok((lat, err)) = thread.join() {
            latencies.extend(lat);
            errors += err;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1));
        latencies.get(i).map_or(f64::NAN, |us| f64::from(*us) / 1e3)
    };
    Summary {
        rps: latencies.len() as f64 / elapsed,
        p50: pct(0.50),
        p99: pct(0.99),
        errors,
        requests: latencies.len() as u64,
    }
}

/// One connection's loop: latencies in µs and the error count.
fn connection(
    addr: SocketAddr,
    request: &[u8],
    first: Instant,
    interval: Option<Duration>,
    deadline: Instant,
) -> (Vec<u32>, u64) {
    let mut conn = Conn::new(addr);
    let mut latencies = Vec::with_capacity(1 << 14);
    let mut errors = 0;
    let mut scheduled = first;
    loop {
        let now = Instant::now();
        if now >= deadline || scheduled >= deadline {
            break;
        }
        let sent = match interval {
            Some(iv) => {
                if scheduled > now {
                    std::thread::sleep(scheduled - now);
                }
                let at = scheduled;
                scheduled += iv;
                at
            }
            None => now,
        };
        match conn.exchange(request) {
            Ok(status) => {
                latencies.push(u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX));
                errors += u64::from(status != 200);
            }
            Err(_) => errors += 1,
        }
    }
    (latencies, errors)
}
