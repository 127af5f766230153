//! The `attack-tests bench` subcommands and their flags.

use std::path::PathBuf;
use std::time::Duration;

use super::shapes::Shape;
use super::{Options, run, smoke_check};
use crate::{Error, corpus, default_corpus};

/// Benchmarks against a peer measured in the same run.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// The inspector against nginx + ModSecurity + CRS: throughput, latency, RSS.
    Proxy(ProxyArgs),
}

/// Flags of `bench proxy`.
#[derive(Debug, clap::Args)]
pub struct ProxyArgs {
    /// Length of each measured run, seconds.
    #[arg(long, env = "ATTACK_TESTS_BENCH_DURATION", default_value_t = 5.0)]
    pub duration: f64,
    /// Keep-alive connections of the load generator (one thread each).
    #[arg(long, env = "ATTACK_TESTS_BENCH_CONNECTIONS", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=512))]
    pub connections: u16,
    /// Closed-loop runs per target and shape, in turn; each target's median run is reported.
    #[arg(long, env = "ATTACK_TESTS_BENCH_ROUNDS", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=20))]
    pub rounds: u16,
    /// Shapes to run, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = Shape::ALL)]
    pub shapes: Vec<Shape>,
    /// A few hundred requests per run: proves the harness works, measures nothing.
    #[arg(long)]
    pub smoke: bool,
    /// The inspector binary (default: next to this executable).
    #[arg(long, env = "ATTACK_TESTS_INSPECTOR")]
    pub inspector: Option<PathBuf>,
    /// Keep the temp prefix (configs, logs).
    #[arg(long)]
    pub keep_temp: bool,
}

/// Runs a bench subcommand and prints its table.
pub fn main(command: BenchCommand) -> Result<(), Error> {
    let BenchCommand::Proxy(args) = command;
    if !(args.duration.is_finite() && args.duration > 0.0 && args.duration <= 600.0) {
        return Err(Error::Config(format!("--duration {} is not in (0, 600] seconds", args.duration)));
    }
    let (duration, connections, rounds) = if args.smoke {
        (Duration::from_millis(200), 2, 1)
    } else {
        (Duration::from_secs_f64(args.duration), args.connections.into(), args.rounds.into())
    };
    let dir = default_corpus();
    let corpus = corpus::load_dir(&dir)?;
    let opts = Options {
        duration,
        connections,
        rounds,
        shapes: args.shapes,
        inspector: args.inspector,
        corpus,
        keep_temp: args.keep_temp,
    };
    let report = run(&opts, &mut |line| eprintln!("{line}"))?;
    print!("{}", report.text());
    if args.smoke {
        smoke_check(&report)?;
        println!("smoke: every run answered without errors (figures from a smoke run mean nothing)");
    }
    Ok(())
}
