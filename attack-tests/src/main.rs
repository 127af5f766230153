//! `attack-tests`: Chainwall's attack corpus tools. `differential` runs the corpus through
//! nginx + ModSecurity + CRS and through our engine, and reports where they disagree;
//! `lab up|down` builds the netns lab; `demo` runs the main job on it; `bench proxy`
//! measures the inspector against that peer (see `attack_tests::bench`); `ftw` runs go-ftw
//! tests; `report` prints detection and false-positive rates, ours beside the peer's.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use attack_tests::conf::EngineMode;
use attack_tests::demo::DemoArgs;
use attack_tests::lab::cli::{self as lab, LabCommand};
use attack_tests::run::{Options, run};
use attack_tests::{corpus, default_corpus, gotestwaf};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(version, about = "Chainwall attack corpus and differential tests")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compare our engine with nginx + ModSecurity v3 + CRS 3.3.4 over the corpus.
    Differential {
        /// Corpus directory (*.yaml).
        #[arg(long, env = "ATTACK_TESTS_CORPUS", default_value_os_t = default_corpus())]
        corpus: PathBuf,
        /// CRS paranoia level of both peers.
        #[arg(long, env = "ATTACK_TESTS_PARANOIA", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=4))]
        paranoia: u8,
        /// Rule engine mode of both peers.
        #[arg(long, env = "ATTACK_TESTS_ENGINE", value_enum, default_value_t = EngineMode::DetectionOnly)]
        engine: EngineMode,
        /// Also run the payloads of a gotestwaf testcases checkout.
        #[arg(long, env = "ATTACK_TESTS_GOTESTWAF")]
        gotestwaf: Option<PathBuf>,
        /// Also run go-ftw tests (a file or a directory, e.g. a CRS regression-test checkout)
        /// and judge their rule-id checks on both peers.
        #[arg(long, env = "ATTACK_TESTS_FTW")]
        ftw: Option<PathBuf>,
        /// Print the report as JSON on stdout.
        #[arg(long, env = "ATTACK_TESTS_JSON")]
        json: bool,
        /// Keep the temp prefix (nginx config, error and audit logs).
        #[arg(long, env = "ATTACK_TESTS_KEEP_TEMP")]
        keep_temp: bool,
        /// Only check the options and load the corpus, then exit.
        #[arg(long)]
        check_config: bool,
    },
    /// The netns lab: the example app in network namespaces, redirector and inspector(s).
    Lab {
        #[command(subcommand)]
        command: LabCommand,
    },
    /// The main job: lab up, the corpus from the client pod, the evidence, lab down.
    Demo(DemoArgs),
    /// (lab) A pod's servers: HTTP echo on --http ports, TCP greeters on --tcp ports.
    #[command(hide = true)]
    LabServe {
        #[arg(long)]
        label: String,
        #[arg(long, default_value = "")]
        http: String,
        #[arg(long, default_value = "")]
        tcp: String,
        /// Check the inspector's signed marker with this key file; needs --unsigned-log.
        #[arg(long, requires = "unsigned_log")]
        marker_key_file: Option<PathBuf>,
        /// Where requests without a valid marker are logged, one line each.
        #[arg(long, requires = "marker_key_file")]
        unsigned_log: Option<PathBuf>,
    },
    /// (lab) Probes as JSON on stdin, outcomes as JSON on stdout.
    #[command(hide = true)]
    LabSend,
    /// (lab) Probes as JSON on stdin, cycled for --duration-ms; the timeline as JSON.
    #[command(hide = true)]
    LabLoad {
        #[arg(long)]
        duration_ms: u64,
        #[arg(long, default_value_t = 10)]
        pause_ms: u64,
    },
    /// (lab) GET a URL, print the body.
    #[command(hide = true)]
    LabGet { url: String },
    /// Run go-ftw regression tests (YAML) against a URL or the lab, rule ids from the audit log.
    Ftw(attack_tests::ftw::cli::FtwArgs),
    /// Detection rate per family and encoding/placement, and false positives: ours and the peer.
    Report(attack_tests::detection::ReportArgs),
    /// Benchmarks against a peer measured in the same run (by hand, on a release build).
    #[command(subcommand)]
    Bench(attack_tests::bench::cli::BenchCommand),
}

fn main() -> anyhow::Result<ExitCode> {
    let (dir, paranoia, engine, gtw, ftw, json, keep_temp, check_config) = match Cli::parse().command {
        Command::Differential { corpus, paranoia, engine, gotestwaf, ftw, json, keep_temp, check_config } => {
            (corpus, paranoia, engine, gotestwaf, ftw, json, keep_temp, check_config)
        }
        Command::Lab { command } => return Ok(lab::lab(&command)?),
        Command::Demo(args) => return Ok(attack_tests::demo::run(&args)?),
        Command::LabServe { label, http, tcp, marker_key_file, unsigned_log } => {
            return Ok(lab::serve(&label, &http, &tcp, marker_key_file.zip(unsigned_log))?);
        }
        Command::LabSend => return Ok(lab::send()?),
        Command::LabLoad { duration_ms, pause_ms } => return Ok(lab::load(duration_ms, pause_ms)?),
        Command::LabGet { url } => return Ok(lab::get(&url)?),
        Command::Ftw(args) => return Ok(attack_tests::ftw::cli::main(&args)?),
        Command::Report(args) => return Ok(attack_tests::detection::main(&args)?),
        Command::Bench(command) => {
            return attack_tests::bench::cli::main(command).map(|()| ExitCode::SUCCESS).map_err(Into::into);
        }
    };
    let mut requests = corpus::load_dir(&dir).with_context(|| format!("loading {}", dir.display()))?;
    eprintln!("corpus: {} requests from {}", requests.len(), dir.display());
    if let Some(gdir) = gtw {
        let (extra, skipped) = gotestwaf::load(&gdir);
        eprintln!("gotestwaf: {} requests from {}", extra.len(), gdir.display());
        for s in skipped {
            eprintln!("gotestwaf: skipped {s}");
        }
        requests.extend(extra);
    }
    let ftw_checks = match ftw {
        Some(path) => {
            let tests = attack_tests::ftw::load(&path)?;
            let suite = attack_tests::ftw::differential::suite(&tests);
            eprintln!(
                "go-ftw: {} requests ({} with rule checks) from {} tests in {}",
                suite.requests.len(),
                suite.checks.len(),
                tests.len(),
                path.display()
            );
            for why in &suite.left_out {
                eprintln!("go-ftw: left out {why}");
            }
            requests.extend(suite.requests);
            Some(suite.checks)
        }
        None => None,
    };
    if check_config {
        return Ok(ExitCode::SUCCESS);
    }
    let opts = Options { requests, paranoia, engine, keep_temp, ftw_checks };
    let report = run(&opts, &mut |line| eprintln!("{line}"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.text());
    }
    Ok(ExitCode::SUCCESS)
}
