//! The lab's subcommands: `lab up`, `lab down`, and the hidden ones run inside the pods'
//! network namespaces (`lab-serve`, `lab-send`, `lab-get`).

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::up::{UpOptions, up};
use super::{DEFAULT_NAME, DEFAULT_ROOT, Mode, client, servers};
use crate::Error;

/// Where the lab lives.
#[derive(Clone, Debug, Args)]
pub struct Place {
    /// Lab name: the prefix of its network namespaces and its state directory's name.
    #[arg(long, env = "ATTACK_TESTS_LAB_NAME", default_value = DEFAULT_NAME)]
    pub name: String,
    /// Where state directories live (`<root>/<name>/state.json`).
    #[arg(long, env = "ATTACK_TESTS_LAB_ROOT", default_value = DEFAULT_ROOT)]
    pub root: PathBuf,
}

/// `lab up` settings shared with `demo`.
#[derive(Clone, Debug, Args)]
pub struct UpArgs {
    /// Where covered flows are inspected.
    #[arg(long, env = "ATTACK_TESTS_LAB_MODE", value_enum, default_value_t = Mode::Mixed)]
    pub mode: Mode,
    #[command(flatten)]
    pub place: Place,
    /// The example manifests the lab derives its own from.
    #[arg(long, env = "ATTACK_TESTS_EXAMPLES", default_value_os_t = examples())]
    pub examples: PathBuf,
}

impl UpArgs {
    /// The options of [`up`].
    pub fn options(&self) -> UpOptions {
        UpOptions {
            mode: self.mode,
            name: self.place.name.clone(),
            root: self.place.root.clone(),
            examples: self.examples.clone(),
        }
    }
}

/// The committed examples.
pub fn examples() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/examples")
}

/// `lab` subcommands.
#[derive(Clone, Debug, Subcommand)]
pub enum LabCommand {
    /// Build the lab: pods in network namespaces, redirector and inspector(s) running.
    Up {
        #[command(flatten)]
        up: UpArgs,
        /// Print the lab's facts as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Remove everything the lab created (also after a crash).
    Down {
        #[command(flatten)]
        place: Place,
    },
}

/// `attack-tests lab ...`.
pub fn lab(command: &LabCommand) -> Result<ExitCode, Error> {
    match command {
        LabCommand::Up { up: args, json } => {
            let facts = up(&args.options(), &mut |line| eprintln!("{line}"))?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&facts).map_err(|e| Error::Config(e.to_string()))?);
            } else {
                eprintln!("lab {} up ({:?} mode), state in {}", facts.name, facts.mode, facts.state_dir.display());
                for pod in &facts.pods {
                    let ports: Vec<String> = pod.ports.iter().map(|p| p.port.to_string()).collect();
                    eprintln!("  {:<36} {:<16} {:<14} {}", pod.pod, pod.netns, pod.ip, ports.join(","));
                }
                eprintln!("  traffic from: ip netns exec {} ...; facts: --json", facts.client_netns);
            }
            Ok(ExitCode::SUCCESS)
        }
        LabCommand::Down { place } => {
            let removed = super::down(&place.root, &place.name)?;
            eprintln!("lab {}: removed {} items", place.name, removed.len());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `lab-serve`: the pod's servers; `marker`: the key file and the unsigned log.
pub fn serve(label: &str, http: &str, tcp: &str, marker: Option<(PathBuf, PathBuf)>) -> Result<ExitCode, Error> {
    let ports = |list: &str| -> Result<Vec<u16>, Error> {
        let port = |p: &str| p.parse().map_err(|_| Error::Config(format!("{p:?} is not a port")));
        list.split(',').filter(|p| !p.is_empty()).map(port).collect()
    };
    let marker = match marker {
        Some((key_file, unsigned_log)) => {
            let key = std::fs::read(&key_file).map_err(|e| Error::io(&key_file, e))?;
            Some(servers::Marker { key: key.trim_ascii().to_vec(), unsigned_log })
        }
        None => None,
    };
    servers::serve(label, &ports(http)?, &ports(tcp)?, marker).map_err(|e| Error::io(label, e))?;
    Ok(ExitCode::SUCCESS)
}

/// `lab-send`: probes on stdin, outcomes on stdout.
pub fn send() -> Result<ExitCode, Error> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).map_err(|e| Error::io("stdin", e))?;
    let probes: Vec<client::Probe> = serde_json::from_str(&input).map_err(|e| Error::Config(format!("probes: {e}")))?;
    let out = serde_json::to_string(&client::send_all(&probes)).map_err(|e| Error::Config(e.to_string()))?;
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// `lab-load`: probes on stdin, cycled for `duration_ms`; the timeline on stdout.
pub fn load(duration_ms: u64, pause_ms: u64) -> Result<ExitCode, Error> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).map_err(|e| Error::io("stdin", e))?;
    let probes: Vec<client::Probe> = serde_json::from_str(&input).map_err(|e| Error::Config(format!("probes: {e}")))?;
    let timeline = client::load(&probes, Duration::from_millis(duration_ms), Duration::from_millis(pause_ms));
    println!("{}", serde_json::to_string(&timeline).map_err(|e| Error::Config(e.to_string()))?);
    Ok(ExitCode::SUCCESS)
}

/// `lab-get URL`: the body on stdout.
pub fn get(url: &str) -> Result<ExitCode, Error> {
    print!("{}", client::get(url).map_err(|e| Error::io(url, e))?);
    Ok(ExitCode::SUCCESS)
}
