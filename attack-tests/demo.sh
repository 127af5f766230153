#!/usr/bin/env bash
# The main job: the example app in a netns lab, where real attacks between pods are blocked by
# the inspector and real traffic passes. Installs the Debian packages it needs when missing,
# builds the three binaries (release), then runs
# `attack-tests demo` (lab up, traffic, table, counters, audit, lab down).
# Usage, as root: bash attack-tests/demo.sh [--mode mixed|chain|sidecar] [--keep] [--per-family N]
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the demo uses, installed when missing (as test.sh does).
APT_PACKAGES=(build-essential pkg-config ca-certificates modsecurity-crs nftables iproute2)
if [[ $(id -u) -ne 0 ]]; then
    echo "chainwall demo: run as root: network namespaces and nftables need it (sudo bash attack-tests/demo.sh)" >&2
    exit 1
fi
absent=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || absent+=("$pkg")
done
if ((${#absent[@]})); then
    echo "==> apt-get install ${absent[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${absent[@]}"
fi

missing=()
command -v nft >/dev/null || missing+=("nft: apt-get install nftables")
command -v ip >/dev/null || missing+=("ip: apt-get install iproute2")
[[ -d /usr/share/modsecurity-crs/rules && -f /etc/modsecurity/crs/crs-setup.conf ]] ||
    missing+=("the OWASP CRS: apt-get install modsecurity-crs")
command -v cc >/dev/null || missing+=("a C toolchain: apt-get install build-essential pkg-config")
command -v cargo >/dev/null || missing+=("cargo: install Rust with rustup (the toolchain is pinned in rust-toolchain.toml)")
if ((${#missing[@]})); then
    echo "chainwall demo: cannot run here; missing:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 1
fi

cargo build --release --locked -p attack-tests -p inspector -p redirector
exec target/release/attack-tests demo "$@"
