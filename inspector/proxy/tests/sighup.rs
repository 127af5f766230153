//! The real binary with `--policy`: a bad policy exits 2 naming the file and field before
//! anything is bound; SIGHUP reloads (the file poll is set to an hour (60m), so only the signal
//! can), counted in `chainwall_config_reloads_total`, and the process keeps serving.
#![allow(clippy::unwrap_used)]

mod support;

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::{CANARY, Upstream, get, metric, scratch};

const BIN: &str = env!("CARGO_BIN_EXE_inspector");

fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

fn policy(upstream: SocketAddr, spec: &str) -> String {
    format!(
        "securityPolicies:\n  - kind: SecurityPolicy\n    metadata: {{name: shop}}\n    spec: {spec}\n\
         flows:\n  - {{destination: \"{upstream}\", policy: shop}}\n"
    )
}

fn rule(value: &str) -> String {
    format!("{{customRules: ['SecRule REQUEST_HEADERS:X-Attack \"@streq {value}\" \"id:100,phase:1,deny,log\"']}}")
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_bad_policy_exits_2_with_file_and_field() {
    let dir = scratch("policy-bad");
    let file = dir.join("policy.yaml");
    std::fs::write(&file, policy("127.0.0.1:9".parse().unwrap(), "{crs: {paranoiaLevel: 7}}")).unwrap();
    let out = Command::new(BIN).args(["--check-config", "--policy", file.to_str().unwrap()]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{}: SecurityPolicy shop: spec.crs.paranoiaLevel: 7 is not 1-4", file.display())),
        "{stderr}"
    );
}

#[tokio::test]
async fn sighup_reloads_the_policy() {
    let up = Upstream::start().await;
    let dir = scratch("sighup");
    std::fs::create_dir_all(dir.join("crs/rules")).unwrap();
    std::fs::write(dir.join("crs/setup.conf"), "# stand-in\n").unwrap();
    std::fs::write(dir.join("crs/rules/a.conf"), "# stand-in\n").unwrap();
    std::fs::write(dir.join("canary.conf"), CANARY).unwrap();
    let file = dir.join("policy.yaml");
    std::fs::write(&file, policy(up.addr, &rule("v1"))).unwrap();
    let (listen, admin) = (free_port(), free_port());
    let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    let child = Command::new(BIN)
        .args(["--listen", &listen.to_string(), "--metrics-listen", &admin.to_string()])
        .args(["--upstream", &up.addr.to_string(), "--policy", &path(&file), "--policy-poll", "60m"])
        .args(["--rules", &path(&dir.join("canary.conf")), "--crs-setup", &path(&dir.join("crs/setup.conf"))])
        .args(["--crs-rules", &path(&dir.join("crs/rules/*.conf"))])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let child = Killed(child);
    for _ in 0..100 {
        if scrape(admin).await.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    support::assert_canary(listen).await;
    let attack = |v: &str| {
        let req = http::Request::get(format!("http://{listen}/")).header("x-attack", v);
        support::send(req.body(http_body_util::Full::default()).unwrap())
    };
    assert_eq!(attack("v1").await.0, 403);

    std::fs::write(&file, policy(up.addr, &rule("v2"))).unwrap();
    hangup(&child.0);
    wait(admin, "chainwall_config_reloads_total{result=\"success\"}").await;
    assert_eq!(attack("v2").await.0, 403, "reloaded by SIGHUP");
    assert_eq!(attack("v1").await.0, 200);

    std::fs::write(&file, "securityPolicies: [").unwrap();
    hangup(&child.0);
    wait(admin, "chainwall_config_reloads_total{result=\"error\"}").await;
    assert_eq!(attack("v2").await.0, 403, "the old policy stays in force");
    assert_eq!(get(format!("http://{listen}/")).await.0, 200, "still serving");
}

fn hangup(child: &Child) {
    let status = Command::new("kill").args(["-HUP", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
}

/// The metrics text, if the admin listener answers.
async fn scrape(admin: SocketAddr) -> Option<String> {
    let req = http::Request::get(format!("http://{admin}/metrics")).body(http_body_util::Full::default()).unwrap();
    let resp = support::client().request(req).await.ok()?;
    let body = http_body_util::BodyExt::collect(resp.into_body()).await.ok()?.to_bytes();
    Some(String::from_utf8_lossy(&body).into_owned())
}

/// Waits until `series` is 1.
async fn wait(admin: SocketAddr, series: &str) {
    for _ in 0..100 {
        if scrape(admin).await.is_some_and(|t| metric(&t, series) == Some(1.0)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{series} never reached 1: {:?}", scrape(admin).await);
}
