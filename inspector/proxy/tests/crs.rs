//! Debian's CRS 3.3.4 (paranoia level 1, blocking) behind the proxy, loaded from the engine's
//! base config plus a second `--rules` file holding the canary: real attacks are blocked by
//! the anomaly rule 949110 with their detection rules in the audit line, ordinary traffic
//! reaches the upstream untouched.
#![allow(clippy::unwrap_used)]

mod support;

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use support::{CANARY, Upstream, inspector, send};

const BASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../engine/tests/data/base.conf");

fn browser(method: &str, url: String, body: &'static str) -> Request<Full<Bytes>> {
    let mut req = Request::builder()
        .method(method)
        .uri(url)
        .header("host", "shop.example")
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64)")
        .header("accept", "text/html,*/*");
    if !body.is_empty() {
        req = req.header("content-type", "application/x-www-form-urlencoded");
    }
    req.body(Full::new(Bytes::from_static(body.as_bytes()))).unwrap()
}

#[tokio::test]
async fn crs_blocks_attacks_and_passes_ordinary_traffic() {
    assert!(
        std::path::Path::new("/usr/share/modsecurity-crs/rules").is_dir(),
        "Debian's CRS is missing: apt-get install modsecurity-crs"
    );
    let up = Upstream::start().await;
    let dir = support::scratch("crs");
    let canary = dir.join("canary.conf");
    std::fs::write(&canary, CANARY).unwrap();
    let audit = dir.join("audit.log");
    let extra = ["--rules", canary.to_str().unwrap(), "--audit-log", audit.to_str().unwrap()];
    let proxy = inspector(up.addr, &format!("@{BASE}"), &extra).await;
    let base = format!("http://{}", proxy.proxy_addr);

    let ordinary = [
        ("GET", "/", ""),
        ("GET", "/products?page=2&sort=price&q=red+shoes", ""),
        ("POST", "/contact", "name=Ana+Lopez&message=Hello%2C+I+would+like+a+quote+for+10+chairs."),
    ];
    for (method, path, body) in ordinary {
        let (status, _, text) = send(browser(method, format!("{base}{path}"), body)).await;
        assert_eq!((status, text.as_str()), (200, "upstream ok"), "{method} {path}");
    }
    let got = up.received();
    assert_eq!(got.len(), 3);
    assert_eq!(got[2].body, ordinary[2].2.as_bytes());

    let attacks = [
        ("GET", "/item?id=1%27%20or%20%271%27%3D%271", "", 942100),
        ("GET", "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "", 941100),
        ("GET", "/download?file=../../../../etc/passwd", "", 930100),
        ("POST", "/login", "user=admin%27--&pass=x", 942100),
    ];
    for (method, path, body, _) in attacks {
        let (status, _, text) = send(browser(method, format!("{base}{path}"), body)).await;
        assert_eq!(status, 403, "{method} {path}: {text}");
    }
    assert_eq!(up.received().len(), 3, "no attack reached the upstream");

    let log = std::fs::read_to_string(&audit).unwrap();
    let lines: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    for (method, path, _) in ordinary {
        assert!(
            !lines.iter().any(|l| l["uri"] == path && l["method"] == method && l["messages"][0]["id"] != 1),
            "{method} {path} matched:\n{log}"
        );
    }
    for (method, path, _, detection) in attacks {
        let line = lines
            .iter()
            .find(|l| l["uri"] == path && l["method"] == method)
            .unwrap_or_else(|| panic!("{path}: no audit line"));
        let ids: Vec<u64> = line["messages"].as_array().unwrap().iter().map(|m| m["id"].as_u64().unwrap()).collect();
        assert_eq!(line["verdict"], "block");
        assert!(ids.contains(&detection) && ids.contains(&949110), "{path}: {ids:?}");
        assert!(line["anomaly_score"].as_u64().unwrap() >= 5, "{line}");
    }
}
