//! The `inspector` binary: parse and validate the flags, compile the rules, then serve until
//! SIGINT or SIGTERM; SIGHUP reloads `--policy`. This thread accepts and serves the admin
//! endpoints; connections are served on the lanes (`--workers`, see `inspector::lanes`). `--check-config` stops after compiling: exit 0 with a summary, or 2
//! with `file:line: message`. Logs are JSON lines on stderr (`INSPECTOR_LOG` filter).

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use inspector::config::{Args, ConfigError};
use inspector::flows::Ruleset;
use inspector::{policy, rules};
use tokio::signal::unix::{SignalKind, signal};
use tracing_subscriber::EnvFilter;

/// mimalloc: the engine allocates and frees a few hundred small buffers per request, where
/// glibc's allocator took a fifth of a CRS transaction's instructions.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit status for an invalid configuration or rule set.
const INVALID: u8 = 2;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stderr)
        .with_env_filter(EnvFilter::try_from_env("INSPECTOR_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let config = match args.validate() {
        Ok(config) => Some(config),
        // Checking the rules needs no mode.
        Err(ConfigError::NoMode) if args.check_config => None,
        Err(e) => {
            eprintln!("inspector: {e}");
            return ExitCode::from(INVALID);
        }
    };
    if let (None, Some(path)) = (&config, &args.policy) {
        return check_policies(path, &args);
    }
    let loaded = match &config {
        Some(config) => inspector::load_rules(config),
        None => rules::load(&args.rules).map(|l| Ruleset::Single(Box::new(l))).map_err(|e| e.to_string()),
    };
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(INVALID);
        }
    };
    if args.check_config {
        print_summary(&loaded);
        return ExitCode::SUCCESS;
    }
    let Some(config) = config else { return ExitCode::from(INVALID) };
    if let Ruleset::Single(loaded) = &loaded {
        tracing::info!(policy = %loaded.policy, rules = loaded.summary.total(), engine = ?loaded.summary.engine, "rules compiled");
    }
    match serve(config, loaded).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("inspector: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `--check-config --policy` without a mode: every policy a flow uses is compiled.
fn check_policies(path: &std::path::Path, args: &Args) -> ExitCode {
    let crs = policy_crd::profile::CrsPaths { setup: args.crs_setup.clone(), rules: args.crs_rules.clone() };
    match policy::read(path).and_then(|doc| policy::compile(&doc, &crs, &args.rules)) {
        Ok(compiled) => {
            print_summary(&Ruleset::PerFlow(compiled));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(INVALID)
        }
    }
}

/// The `--check-config` report: the policy and its summary, or every flow and policy.
fn print_summary(ruleset: &Ruleset) {
    match ruleset {
        Ruleset::Single(loaded) => {
            if loaded.policy != "-" {
                println!("policy: {}", loaded.policy);
            }
            print!("{}", loaded.summary);
        }
        Ruleset::PerFlow(compiled) => {
            for (destination, name) in &compiled.flows {
                println!("flow {destination}: policy {name}");
            }
            for (name, loaded) in &compiled.policies {
                print!("policy {name}: {}", loaded.summary);
            }
        }
    }
}

async fn serve(config: inspector::config::Config, loaded: Ruleset) -> anyhow::Result<()> {
    let running = inspector::start(config, loaded).await.context("starting")?;
    let mut term = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut hangup = signal(SignalKind::hangup()).context("SIGHUP handler")?;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
            _ = hangup.recv() => {
                // The outcome is logged and counted by the reloader.
                let _ = running.reload().await;
            }
        }
    }
    tracing::info!("shutting down");
    running.stop().await;
    Ok(())
}
