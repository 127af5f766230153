//! Engine-only cost on Debian's CRS 3.3.4 at paranoia level 1, one thread.
//!
//! `cargo bench -p inspector-engine --bench engine`. Prints load time, RSS growth and the
//! p50/p99 cost of a benign GET (6 args, ~10 headers), a 1 KiB form POST and an attack, all
//! request phases and logging; and of the proxy benchmark's `GET /` (3 headers) with its
//! `200 text/plain` response through phases 3 and 4 as well, which is what the proxy pays.
//! Targets (issue 3): load <= 1 s, <= 64 MiB, GET <= 20 us p50, POST <= 60 us p50.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use inspector_engine::ruleset::{self, RuleSet};
use inspector_engine::seclang::{FsSource, parse};
use inspector_engine::tx::Connection;

/// A case: its name, method, target, body, whether the response phases run, and its target.
type Case<'a> = (&'a str, &'a str, &'a str, &'a str, bool, f64);

const HEADERS: [(&str, &str); 10] = [
    ("Host", "shop.example"),
    ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
    ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    ("Accept-Language", "en-US,en;q=0.5"),
    ("Accept-Encoding", "gzip, deflate, br"),
    ("Referer", "https://shop.example/products"),
    ("Cookie", "session=4f9a2c1e8b7d6a5f; theme=dark; consent=yes"),
    ("Connection", "keep-alive"),
    ("Upgrade-Insecure-Requests", "1"),
    ("Cache-Control", "max-age=0"),
];

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/base.conf");
    let rss_before = rss_mib();
    let start = Instant::now();
    let config = parse(&root, &FsSource).unwrap_or_else(|e| panic!("{e}"));
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let rules = ruleset::compile(&config, &read).unwrap_or_else(|e| panic!("{e}"));
    let loaded = start.elapsed();
    let rules_count: usize = rules.phases.iter().map(Vec::len).sum();
    println!(
        "CRS load: {:.0} ms, {rules_count} rules and markers, RSS +{:.0} MiB (targets: 1000 ms, 64 MiB)",
        ms(loaded),
        rss_mib() - rss_before
    );
    let form: String = (0..24).map(|i| format!("field{i}=some+ordinary+text+{i}&")).collect::<String>();
    let form = &form[..form.len().min(1024)];
    let cases: [Case; 4] = [
        (
            "benign GET, 6 args",
            "GET",
            "/products/list?page=2&sort=price&dir=asc&q=red+shoes&size=42&color=red",
            "",
            false,
            20.0,
        ),
        ("1 KiB form POST", "POST", "/checkout", form, false, 60.0),
        ("SQLi GET (blocked)", "GET", "/item?id=1%27%20or%20%271%27%3D%271", "", false, f64::NAN),
        ("GET / with response", "GET", "/", "", true, f64::NAN),
    ];
    // BENCH_ITERS: fewer iterations, e.g. under `valgrind --tool=callgrind` for instruction
    // counts, which a shared machine does not disturb.
    let iterations: usize = std::env::var("BENCH_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000).max(1);
    // BENCH_CASE: run only the cases whose name contains it (instruction counts per case).
    let only = std::env::var("BENCH_CASE").unwrap_or_default();
    for (name, method, target, body, response, target_us) in cases.into_iter().filter(|c| c.0.contains(only.as_str())) {
        let mut times = Vec::with_capacity(iterations);
        let mut blocked = false;
        for i in 0..iterations {
            let start = Instant::now();
            blocked = black_box(run(&rules, (method, target, body), response, i));
            times.push(start.elapsed());
        }
        times.sort();
        let p = |q: usize| times[times.len() * q / 100].as_secs_f64() * 1e6;
        let goal = if target_us.is_nan() { String::new() } else { format!(" (target p50 <= {target_us} us)") };
        println!("{name:<22} p50 {:>7.1} us  p99 {:>7.1} us  blocked={blocked}{goal}", p(50), p(99));
    }
}

/// One transaction; `response`: a `GET /` as the proxy benchmark sends it, answered `ok`.
fn run(rules: &RuleSet, (method, target, body): (&str, &str, &str), response: bool, i: usize) -> bool {
    let conn = Connection {
        client: "10.0.0.7:40000".parse().unwrap_or_else(|e| panic!("{e}")),
        server: "10.0.0.8:8080".parse().unwrap_or_else(|e| panic!("{e}")),
    };
    let mut tx = rules.transaction(conn, format!("bench-{i}"));
    let length = body.len().to_string();
    let sent = if response { &HEADERS[..2] } else { &HEADERS[..] };
    let mut headers: Vec<(&[u8], &[u8])> = sent.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())).collect();
    if response {
        headers.push((b"Accept", b"*/*"));
    }
    if !body.is_empty() {
        headers.push((b"Content-Type", b"application/x-www-form-urlencoded"));
        headers.push((b"Content-Length", length.as_bytes()));
    }
    let mut verdict = tx.request_headers(method.as_bytes(), target.as_bytes(), "1.1", headers);
    if verdict.is_none() {
        verdict = tx.request_body(body.as_bytes());
    }
    if response && verdict.is_none() {
        let headers: [(&[u8], &[u8]); 2] = [(b"Content-Type", b"text/plain"), (b"Content-Length", b"3")];
        verdict = tx.response_headers(200, "HTTP/1.1", headers).or_else(|| tx.response_body(b"ok\n"));
    }
    tx.finish();
    verdict.is_some()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib =
        status.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok());
    kib.unwrap_or(0.0) / 1024.0
}
