//! The `inspector` binary: parse and validate the flags, compile the rules, then serve until
//! SIGINT or SIGTERM. `--check-config` stops after compiling: exit 0 with a summary, or 2
//! with `file:line: message`. Logs are JSON lines on stderr (`INSPECTOR_LOG` filter).

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use inspector::config::{Args, ConfigError};
use inspector::rules;
use tracing_subscriber::EnvFilter;

/// Exit status for an invalid configuration or rule set.
const INVALID: u8 = 2;

#[tokio::main]
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
    let loaded = match rules::load(&args.rules) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(INVALID);
        }
    };
    if args.check_config {
        print!("{}", loaded.summary);
        return ExitCode::SUCCESS;
    }
    let Some(config) = config else { return ExitCode::from(INVALID) };
    tracing::info!(rules = loaded.summary.total(), engine = ?loaded.summary.engine, "rules compiled");
    match serve(config, loaded).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("inspector: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: inspector::config::Config, loaded: rules::Loaded) -> anyhow::Result<()> {
    let running = inspector::start(config, loaded).await.context("starting")?;
    let mut term =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).context("SIGTERM handler")?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down");
    running.stop().await;
    Ok(())
}
