#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh Debian machine, then runs every
# test. Usage: bash attack-tests/test.sh   (as root, so that apt-get and the netns tests work)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# Debian packages the tests use. Installed only when missing, so reruns are fast.
APT_PACKAGES=(build-essential pkg-config ca-certificates modsecurity-crs nftables iproute2 nginx libnginx-mod-http-modsecurity prometheus iptables)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
    step "apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
    echo "cargo not found: install Rust with rustup (the toolchain is pinned in rust-toolchain.toml)" >&2
    exit 1
fi

step "toolchain: $(rustc --version)"
step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
step "cargo test (includes the CRD drift check)"
cargo test --workspace --locked
step "benchmark harnesses, smoke runs (they prove the harness works and measure nothing)"
cargo build --quiet --locked -p inspector -p attack-tests
cargo run --quiet --locked -p attack-tests -- bench proxy --smoke
if [[ $(id -u) -eq 0 ]]; then
    cargo test --quiet --locked -p redirector --bench dataplane -- --smoke
else
    echo "SKIPPED: the dataplane benchmark smoke needs root (network namespaces)" >&2
fi
step "redirector plan answers the example probes"
cargo run --quiet --locked -p redirector -- plan \
    --manifests deploy/examples --query deploy/examples/probes.yaml >/dev/null
echo "example probes: all verdicts as expected"
