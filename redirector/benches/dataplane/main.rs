//! Dataplane benchmark: the nftables sets design of `redirector::nft` on the real kernel, in
//! network namespaces of its own (needs root), against one iptables rule per pod.
//!
//! `cargo bench -p redirector --bench dataplane [-- --pods N --policies N --nodes N --rounds N
//! --fixed-policies --smoke]`
//!
//! - From scratch: N pods (default 10,000) under 1,000 policies on 50 nodes (`--nodes 1`: all
//!   on one node, a stress shape no kubelet allows), node-0's chain-mode ruleset rendered and
//!   applied with one `nft -f` (target ≤ 1 s). Smaller scales get pods/10 policies (`--fixed-policies`: N too,
//!   so that only the pod count grows).
//! - One pod added, then removed, at 100, 1,000, 5,000 and N pods: each change a set-element
//!   update (target ≤ 10 ms, flat).
//! - iptables with one rule per pod at 5,000 pods: add/remove one pod's rule (the sets design
//!   must be ≥ 10× faster). Figures, not assertions; the process exits 1 only on errors.

mod iptables;
mod netns;
mod report;
mod sets;

use std::process::ExitCode;

use report::{Scale, Table};

struct Args {
    pods: usize,
    /// Every scale gets `policies` (else the smaller ones get pods/10).
    fixed_policies: bool,
    nodes: usize,
    policies: usize,
    rounds: usize,
    peer_pods: usize,
}

fn parse_args() -> Args {
    let mut args =
        Args { pods: 10_000, fixed_policies: false, nodes: 50, policies: 1_000, rounds: 10, peer_pods: 5_000 };
    let argv: Vec<String> = std::env::args().collect();
    if argv.iter().any(|a| a == "--smoke") {
        args = Args { pods: 1_000, fixed_policies: false, nodes: 1, policies: 100, rounds: 3, peer_pods: 500 };
    }
    args.fixed_policies = argv.iter().any(|a| a == "--fixed-policies");
    for pair in argv.windows(2) {
        let value = pair[1].parse().ok();
        match (pair[0].as_str(), value) {
            ("--pods", Some(v)) => args.pods = v,
            ("--policies", Some(v)) => args.policies = v,
            ("--nodes", Some(v)) => args.nodes = v,
            ("--rounds", Some(v)) => args.rounds = v,
            _ => {}
        }
    }
    args
}

fn main() -> ExitCode {
    if !netns::is_root() {
        eprintln!("dataplane benchmark: needs root (it creates network namespaces); not run");
        return ExitCode::from(2);
    }
    for tool in ["nft", "ip", "nsenter"] {
        if !netns::available(tool) {
            eprintln!("dataplane benchmark: `{tool}` is missing (apt-get install nftables iproute2 util-linux)");
            return ExitCode::from(2);
        }
    }
    match run(&parse_args()) {
        Ok(table) => {
            print!("{}", table.text());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dataplane benchmark: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<Table, String> {
    let mut table = Table::default();
    let mut counts: Vec<usize> =
        [100, 1_000, args.peer_pods, args.pods].into_iter().filter(|&n| n <= args.pods).collect();
    counts.sort();
    counts.dedup();
    for pods in counts {
        let policies = if pods == args.pods || args.fixed_policies { args.policies } else { (pods / 10).max(1) };
        eprintln!("programming {pods} pods, {policies} policies ...");
        let ns = netns::Netns::new(&format!("s{pods}"))?;
        let mut programmed = sets::program(sets::size(pods, policies, args.nodes), &ns)?;
        let mut updates = Vec::new();
        for round in 0..args.rounds {
            updates.extend(programmed.add_remove(round, &ns)?);
        }
        table.scales.push(Scale::new(&programmed, &updates));
    }
    for program in ["iptables", "iptables-legacy"] {
        if !netns::available(program) {
            table.peers.push((program.into(), Err("not installed (apt-get install iptables)".into())));
            continue;
        }
        eprintln!("{program}: {} rules ...", args.peer_pods);
        let ns = netns::Netns::new(&format!("ipt{}", table.peers.len()))?;
        let times = iptables::updates(program, args.peer_pods, args.rounds, &ns);
        table.peers.push((iptables::version(program), times));
    }
    table.peer_pods = args.peer_pods;
    Ok(table)
}
