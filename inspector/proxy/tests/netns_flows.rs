//! `--transparent redirect --policy`: the flow map picks the SecurityPolicy by original
//! destination `ip:port`. In a pod netns (redirect of 8080 and 9090 to the inspector on
//! :15006), `10.253.9.2:8080` is mapped to the policy `shop`; 9090 is mapped to nothing, so
//! its requests are answered 503, counted `chainwall_flows_refused_total{reason="no_policy"}`,
//! and never reach the origin. Root, ip, nft, curl and python3 required: skipped loudly
//! otherwise, failed under CI=true.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod netns;

use std::time::Duration;

use netns::{Lab, NET, ORIGIN, prerequisites};

const SIDECAR_NFT: &str = "table ip chainwall_test {
    chain prerouting {
        type nat hook prerouting priority -100; policy accept;
        tcp dport { 8080, 9090 } redirect to :15006
    }
}
";

#[test]
fn the_flow_map_selects_the_policy_by_original_destination() {
    if !prerequisites("the_flow_map_selects_the_policy_by_original_destination") {
        return;
    }
    let mut lab = Lab::new("f");
    let (client, pod) = (lab.ns("c"), lab.ns("p"));
    lab.link((&client, &format!("{NET}.1/24")), (&pod, &format!("{NET}.2/24")));
    let dir = std::env::temp_dir().join(format!("inspector-netns-{}-flows", std::process::id()));
    std::fs::create_dir_all(dir.join("crs/rules")).unwrap();
    std::fs::write(dir.join("crs/crs-setup.conf"), "# stand-in crs-setup.conf\n").unwrap();
    std::fs::write(dir.join("crs/rules/REQUEST-900-STANDIN.conf"), "# no CRS rule\n").unwrap();
    let policy = format!(
        "securityPolicies:\n  - metadata: {{name: shop}}\n    spec:\n      mode: Block\n      customRules:\n\
         \x20       - 'SecRule REQUEST_HEADERS:X-Attack \"@streq evil\" \"id:100,phase:1,deny,log\"'\n\
         flows:\n  - {{destination: \"{NET}.2:8080\", policy: shop, namespace: shop-ns}}\n"
    );
    std::fs::write(dir.join("policy.yaml"), policy).unwrap();
    let (log8080, log9090) = (dir.join("8080.log"), dir.join("9090.log"));
    let script = dir.join("origin.py");
    std::fs::write(&script, ORIGIN).unwrap();
    for (port, log) in [("8080", &log8080), ("9090", &log9090)] {
        std::fs::write(log, "").unwrap();
        let argv = ["/usr/bin/python3", script.to_str().unwrap(), port, log.to_str().unwrap()];
        lab.spawn(&pod, &argv, &dir.join(format!("origin-{port}.out")));
    }
    let (setup, rules) = (dir.join("crs/crs-setup.conf"), dir.join("crs/rules/*.conf"));
    let policy = dir.join("policy.yaml");
    let argv = [
        env!("CARGO_BIN_EXE_inspector"),
        "--transparent",
        "redirect",
        "--listen",
        "0.0.0.0:15006",
        "--metrics-listen",
        "127.0.0.1:15090",
        "--policy",
        policy.to_str().unwrap(),
        "--crs-setup",
        setup.to_str().unwrap(),
        "--crs-rules",
        rules.to_str().unwrap(),
    ];
    lab.spawn(&pod, &argv, &dir.join("inspector.log"));
    let wait = Duration::from_secs(10);
    let inspector_log = || std::fs::read_to_string(dir.join("inspector.log")).unwrap_or_default();
    lab.wait_for(&pod, &["curl", "-sf", "-o", "/dev/null", "http://127.0.0.1:15090/healthz"], wait);
    lab.wait_for(&pod, &["curl", "-sf", "-o", "/dev/null", "http://127.0.0.1:9090/ready"], wait);
    std::fs::write(&log9090, "").unwrap();
    lab.nft(&pod, SIDECAR_NFT);

    let curl = |extra: &[&str], url: &str| {
        let mut argv = vec!["curl", "-s", "--max-time", "5", "-o", "-", "-w", "\n%{http_code}"];
        argv.extend_from_slice(extra);
        argv.push(url);
        let out = lab.try_exec(&client, &argv).unwrap_or_else(|e| panic!("curl {url}: {e}"));
        let (body, status) = out.rsplit_once('\n').unwrap();
        (status.to_owned(), body.to_owned())
    };
    // The mapped destination: the policy `shop` blocks its attack, passes the rest.
    let (status, body) = curl(&["-H", "X-Attack: evil"], &format!("http://{NET}.2:8080/"));
    assert_eq!(status, "403", "shop's rule did not block: {body}\n{}", inspector_log());
    let (status, body) = curl(&[], &format!("http://{NET}.2:8080/ok"));
    assert_eq!((status.as_str(), body.as_str()), ("200", "hello from origin\n"), "{}", inspector_log());
    assert_eq!(std::fs::read_to_string(&log8080).unwrap(), format!("{NET}.2 GET /ok\n"));

    // The unmapped one: 503, never forwarded.
    let (status, body) = curl(&[], &format!("http://{NET}.2:9090/ok"));
    assert_eq!(status, "503", "{body}");
    assert_eq!(std::fs::read_to_string(&log9090).unwrap(), "", "an unmapped flow was forwarded");

    let metrics = lab.exec(&pod, &["curl", "-sf", "http://127.0.0.1:15090/metrics"]);
    let value = |series: &str| {
        metrics.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse::<f64>().ok())
    };
    assert_eq!(
        value(r#"chainwall_requests_total{policy="shop",namespace="shop-ns",verdict="block"}"#),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        value(r#"chainwall_requests_total{policy="shop",namespace="shop-ns",verdict="pass"}"#),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(value(r#"chainwall_requests_total{policy="-",namespace="-",verdict="reject"}"#), Some(1.0), "{metrics}");
    assert_eq!(value(r#"chainwall_flows_refused_total{reason="no_policy"}"#), Some(1.0), "{metrics}");
    let _ = std::fs::remove_dir_all(&dir);
}
