//! `--policy`: a SecurityPolicy file rendered by policy-crd's profile and compiled by the
//! engine (with a tiny stand-in CRS), reloaded when the file changes and on demand (SIGHUP's
//! path), without dropping connections; a bad new version keeps the old rules and counts
//! `chainwall_config_reloads_total{result="error"}`. Each run starts with the canary.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::{CANARY, Upstream, inspector, metric, scratch};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A stand-in CRS: a setup file and one rule file (so the rendered Includes resolve).
fn crs(dir: &Path) -> (String, String) {
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(dir.join("crs-setup.conf"), "# stand-in crs-setup.conf\n").unwrap();
    std::fs::write(
        dir.join("rules/REQUEST-900-STANDIN.conf"),
        "SecRule ARGS \"@contains standin-attack\" \"id:900001,phase:2,deny,log,msg:'stand-in CRS'\"\n",
    )
    .unwrap();
    let rules = dir.join("rules/*.conf");
    (dir.join("crs-setup.conf").display().to_string(), rules.display().to_string())
}

/// A policy file mapping `upstream` to `shop`, which blocks `X-Attack: <each of blocked>`.
fn policy(upstream: &str, blocked: &[&str]) -> String {
    let rules: Vec<String> = blocked
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!("      - 'SecRule REQUEST_HEADERS:X-Attack \"@streq {v}\" \"id:{},phase:1,deny,log\"'\n", 100 + i)
        })
        .collect();
    format!(
        "securityPolicies:\n  - apiVersion: chainwall.dev/v1alpha1\n    kind: SecurityPolicy\n    metadata: {{name: shop}}\n\
         \x20   spec:\n      mode: Block\n      customRules:\n{}flows:\n  - {{destination: \"{upstream}\", policy: shop, namespace: shop-ns}}\n",
        rules.concat()
    )
}

/// Sends `GET /` with `X-Attack: value` on `stream` (kept alive); returns the status.
async fn ask(stream: &mut TcpStream, value: &str) -> u16 {
    let req = format!("GET /?q=1 HTTP/1.1\r\nHost: shop\r\nX-Attack: {value}\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0, "connection closed");
        out.extend_from_slice(&buf[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut resp = httparse::Response::new(&mut headers);
        if let Ok(httparse::Status::Complete(head)) = resp.parse(&out) {
            let length = resp
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .map_or(0, |h| std::str::from_utf8(h.value).unwrap().parse::<usize>().unwrap());
            if out.len() >= head + length {
                return resp.code.unwrap();
            }
        }
    }
}

async fn status(addr: std::net::SocketAddr, value: &str) -> u16 {
    ask(&mut TcpStream::connect(addr).await.unwrap(), value).await
}

/// Waits until the metric `series` reaches `want` (the file watcher runs every 100 ms).
async fn wait_metric(running: &inspector::Running, series: &str, want: f64) {
    for _ in 0..100 {
        if metric(&running.metrics.encode(), series) == Some(want) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{series} never reached {want}:\n{}", running.metrics.encode());
}

struct Setup {
    up: Upstream,
    file: PathBuf,
    running: inspector::Running,
}

async fn setup(name: &str) -> Setup {
    let up = Upstream::start().await;
    let dir = scratch(name);
    let (setup, rules) = crs(&dir.join("crs"));
    let file = dir.join("policy.yaml");
    std::fs::write(&file, policy(&up.addr.to_string(), &["v1"])).unwrap();
    let path = file.to_str().unwrap().to_owned();
    let flags = ["--policy", &path, "--crs-setup", &setup, "--crs-rules", &rules, "--policy-poll", "100ms"];
    let running = inspector(up.addr, CANARY, &flags).await;
    Setup { up, file, running }
}

const SUCCESS: &str = "chainwall_config_reloads_total{result=\"success\"}";
const ERROR: &str = "chainwall_config_reloads_total{result=\"error\"}";

#[tokio::test]
async fn the_policy_is_enforced_and_reloaded_when_its_file_changes() {
    let Setup { up, file, running } = setup("watch").await;
    let addr = running.proxy_addr;
    assert_eq!(status(addr, "v1").await, 403, "policy v1 blocks v1");
    assert_eq!(status(addr, "v2").await, 200);
    let crs_attack = format!("http://{addr}/?q=standin-attack");
    assert_eq!(support::get(crs_attack.clone()).await.0, 403, "the policy includes the CRS");
    let loaded_v1 = metric(&running.metrics.encode(), "chainwall_rules_loaded").unwrap();

    let mut kept = TcpStream::connect(addr).await.unwrap();
    assert_eq!(ask(&mut kept, "v2").await, 200);
    std::fs::write(&file, policy(&up.addr.to_string(), &["v2", "v3"])).unwrap();
    wait_metric(&running, SUCCESS, 1.0).await;
    assert_eq!(ask(&mut kept, "v2").await, 403, "the kept-alive connection survives and sees the new policy");
    assert_eq!(status(addr, "v1").await, 200, "v1 is no longer blocked");
    assert_eq!(status(addr, "v3").await, 403);
    let loaded_v2 = metric(&running.metrics.encode(), "chainwall_rules_loaded").unwrap();
    assert_eq!(loaded_v2, loaded_v1 + 1.0, "chainwall_rules_loaded follows");

    // A broken new version: the old rules stay, the error is counted.
    std::fs::write(&file, "securityPolicies:\n  - metadata: {name: shop}\n    spec: {paranoia: 9}\n").unwrap();
    wait_metric(&running, ERROR, 1.0).await;
    assert_eq!(ask(&mut kept, "v3").await, 403, "v2 still in force");
    assert_eq!(metric(&running.metrics.encode(), "chainwall_rules_loaded"), Some(loaded_v2));
    assert_eq!(metric(&running.metrics.encode(), SUCCESS), Some(1.0));
    assert!(up.received().iter().all(|r| !r.headers.iter().any(|(n, v)| n == "x-attack" && v == "v3")));
    let text = running.metrics.encode();
    assert!(
        metric(
            &text,
            "chainwall_blocked_total{policy=\"shop\",namespace=\"shop-ns\",rule_id=\"100\",severity=\"-\",category=\"-\"}"
        ) >= Some(1.0),
        "{text}"
    );
    assert!(
        metric(&text, "chainwall_requests_total{policy=\"shop\",namespace=\"shop-ns\",verdict=\"pass\"}") >= Some(1.0),
        "{text}"
    );
}

#[tokio::test]
async fn reload_on_demand_reports_errors_by_file_and_field() {
    let Setup { up, file, running } = setup("hup").await;
    let addr = running.proxy_addr;
    std::fs::write(&file, policy(&up.addr.to_string(), &["v2"])).unwrap();
    running.reload().await.unwrap().unwrap();
    assert_eq!(status(addr, "v2").await, 403);

    // A custom rule the engine cannot compile: named by file and policy, old rules kept.
    let bad = policy(&up.addr.to_string(), &["v3"]).replace("@streq", "@noSuchOperator");
    std::fs::write(&file, bad).unwrap();
    let error = running.reload().await.unwrap().unwrap_err().to_string();
    assert!(error.starts_with(&format!("{}: SecurityPolicy shop: ", file.display())), "{error}");
    assert_eq!(status(addr, "v2").await, 403, "the previous policy stays in force");

    // A flow map without the upstream.
    std::fs::write(&file, policy("127.0.0.1:1", &["v3"])).unwrap();
    let error = running.reload().await.unwrap().unwrap_err().to_string();
    assert_eq!(error, format!("{}: flows: no flow for the upstream {}", file.display(), up.addr));
    let text = running.metrics.encode();
    assert!(metric(&text, SUCCESS) >= Some(1.0) && metric(&text, ERROR) >= Some(2.0), "{text}");
}

/// The allow-list rules see the same canonical path the upstream receives: a traversal out of
/// an allowed prefix is judged (and would be forwarded) as the path it resolves to.
#[tokio::test]
async fn the_allow_list_matches_the_canonical_path() {
    let up = Upstream::start().await;
    let dir = scratch("allow");
    let (setup, rules) = crs(&dir.join("crs"));
    let file = dir.join("policy.yaml");
    let text = format!(
        "securityPolicies:\n  - metadata: {{name: shop}}\n    spec:\n      allowList:\n        - {{methods: [GET], paths: [/public/]}}\n\
         flows:\n  - {{destination: \"{}\", policy: shop}}\n",
        up.addr
    );
    std::fs::write(&file, text).unwrap();
    let path = file.to_str().unwrap().to_owned();
    let flags = ["--policy", &path, "--crs-setup", &setup, "--crs-rules", &rules];
    let running = inspector(up.addr, CANARY, &flags).await;
    let get = |target: &str| {
        let raw = format!("GET {target} HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n");
        let addr = running.proxy_addr;
        async move { support::raw(addr, raw.as_bytes(), Duration::from_secs(2)).await }
    };
    for (target, status, forwarded) in [
        ("/public/a", "200", Some("/public/a")),
        ("//public//a/./b", "200", Some("/public/a/b")),
        ("/public/%61", "200", Some("/public/a")),
        ("/public/../admin", "403", None),
        ("/public/%2e%2e/admin", "403", None),
        ("/public\\..\\admin", "403", None),
        ("/public/..;/admin", "400", None),
        ("/public%2F..%2Fadmin", "400", None),
    ] {
        let before = up.received().len();
        let answer = get(target).await;
        assert!(answer.starts_with(&format!("HTTP/1.1 {status} ")), "{target}: {answer}");
        let got = up.received();
        assert_eq!(got.get(before).map(|r| r.uri.as_str()), forwarded, "{target}");
    }
}
