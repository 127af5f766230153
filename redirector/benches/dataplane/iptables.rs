//! The peer design: one iptables rule per pod, as per-pod redirect tooling does it. A chain
//! `CHAINWALL` (jumped to from `FORWARD`) holds one `-d <pod>/32 -p tcp --dport 8080 -j ACCEPT`
//! rule per pod; a pod added or removed is one `iptables -A` / `iptables -D`.

use std::net::Ipv4Addr;
use std::time::Duration;

use crate::netns::Netns;

fn pod_address(i: usize) -> String {
    Ipv4Addr::from(0x0a00_0000 + i as u32).to_string()
}

fn rule(i: usize) -> String {
    format!("CHAINWALL -d {}/32 -p tcp -m tcp --dport 8080 -j ACCEPT", pod_address(i))
}

/// Loads `pods` rules with `<program>-restore`, then times `rounds` add + remove pairs of one
/// more pod's rule. `program` is `iptables` (Debian: the nf_tables backend) or
/// `iptables-legacy`.
pub fn updates(program: &str, pods: usize, rounds: usize, ns: &Netns) -> Result<Vec<Duration>, String> {
    let mut input = String::from("*filter\n:CHAINWALL - [0:0]\n-A FORWARD -j CHAINWALL\n");
    for i in 0..pods {
        input.push_str(&format!("-A {}\n", rule(i)));
    }
    input.push_str("COMMIT\n");
    ns.restore(&format!("{program}-restore"), &input)?;
    let mut times = Vec::with_capacity(2 * rounds);
    for round in 0..rounds {
        let extra = rule(pods + round);
        let words: Vec<&str> = extra.split_whitespace().collect();
        for op in ["-A", "-D"] {
            let mut args = vec!["-w", op];
            args.extend(&words);
            times.push(ns.exec(program, &args)?);
        }
    }
    Ok(times)
}

/// `iptables --version`, e.g. `iptables v1.8.9 (nf_tables)`.
pub fn version(program: &str) -> String {
    std::process::Command::new(program)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|e| format!("{program}: {e}"))
}
