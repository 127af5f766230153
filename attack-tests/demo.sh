#!/usr/bin/env bash
# The main job: the example app in a netns lab, where real attacks between pods are blocked by
# the inspector and real traffic passes. Builds the three binaries (release), then runs
# `attack-tests demo` (lab up, traffic, table, counters, audit, lab down).
# Usage, as root: bash attack-tests/demo.sh [--mode mixed|chain|sidecar] [--keep] [--per-family N]
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[[ $(id -u) -eq 0 ]] || missing+=("root: network namespaces and nftables need it (sudo bash attack-tests/demo.sh)")
command -v nft >/dev/null || missing+=("nft: apt-get install nftables")
command -v ip >/dev/null || missing+=("ip: apt-get install iproute2")
[[ -d /usr/share/modsecurity-crs/rules && -f /etc/modsecurity/crs/crs-setup.conf ]] ||
    missing+=("the OWASP CRS: apt-get install modsecurity-crs")
command -v cc >/dev/null || missing+=("a C toolchain: apt-get install build-essential pkg-config")
command -v cargo >/dev/null || missing+=("cargo: install Rust with rustup (the toolchain is pinned in rust-toolchain.toml)")
if ((${#missing[@]})); then
    echo "chainwall demo: cannot run here; missing:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    echo "(bash attack-tests/test.sh installs the Debian packages)" >&2
    exit 1
fi

cargo build --release --locked -p attack-tests -p inspector -p redirector
exec target/release/attack-tests demo "$@"
