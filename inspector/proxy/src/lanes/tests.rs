//! Lanes spread jobs by open count and run them on their own threads.
#![allow(clippy::unwrap_used)]

use super::*;
use std::time::Duration;

#[tokio::test]
async fn jobs_go_to_the_least_loaded_lane_and_run_there() {
    let lanes = Lanes::start(2).unwrap();
    let (done, mut finished) = mpsc::unbounded_channel();
    let (release, hold) = tokio::sync::watch::channel(false);
    for n in 0..4 {
        let (done, mut hold) = (done.clone(), hold.clone());
        lanes.run(async move {
            let lane = std::thread::current().name().unwrap_or_default().to_owned();
            let _ = hold.wait_for(|go| *go).await;
            let _ = done.send((n, lane));
        });
    }
    let open: Vec<usize> = lanes.lanes.iter().map(|l| l.open.load(Ordering::Relaxed)).collect();
    assert_eq!(open, [2, 2], "four held jobs spread over two lanes");
    release.send(true).unwrap();
    let mut seen = Vec::new();
    for _ in 0..4 {
        let got = tokio::time::timeout(Duration::from_secs(5), finished.recv()).await.unwrap().unwrap();
        seen.push(got);
    }
    seen.sort();
    let names: Vec<&str> = seen.iter().map(|(_, lane)| lane.as_str()).collect();
    assert_eq!(names, ["inspector-lane-0", "inspector-lane-1", "inspector-lane-0", "inspector-lane-1"]);
    // Finished jobs are uncounted.
    for _ in 0..50 {
        if lanes.lanes.iter().all(|l| l.open.load(Ordering::Relaxed) == 0) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("open counts did not return to zero");
}
