#!/usr/bin/env bash
# Installs the Debian packages Ember needs. With --build-only, only what the build links against;
# otherwise also the real components the tests start (Prometheus, promtool, node_exporter, tmux,
# curl) and the QEMU test bed's tools (QEMU, busybox, the guest's nvme-cli, lm-sensors and pciutils,
# iasl for the ACPI table, gcc for its static helpers). Idempotent: packages already installed are
# skipped, so a second run makes no network call. With --peers, also collectd and netdata, the peers
# Tests/scripts/footprint.py compares Ember with; the tests never install them.
set -euo pipefail

build_packages=(zlib1g-dev libisal-dev libsensors-dev libpci-dev pci.ids libssl-dev libcrypt-dev)
test_packages=(prometheus prometheus-node-exporter tmux curl gzip python3
    qemu-system-x86 qemu-system-data busybox-static cpio zstd xz-utils kmod nvme-cli lm-sensors pciutils
    acpica-tools gcc libc6-dev openssl)

test_packages+=(strace systemd libcap2-bin)  # check-privileges.sh: strace, systemd-analyze, setcap
test_packages+=(binutils)  # tls-check.sh: readelf and nm read the binary's dynamic section and symbols
test_packages+=(valgrind)  # footprint.py: instructions per sample cycle under callgrind
test_packages+=(iproute2 util-linux)  # device-removal.sh: ip link in a private namespace, unshare
# The peers footprint.py compares against; only with --peers, because the tests never need them.
peer_packages=(collectd netdata libprotobuf-c1 libmicrohttpd12)  # the last two: collectd's write_prometheus
packages=("${build_packages[@]}")
if [[ "${1:-}" != "--build-only" ]]; then
    packages+=("${test_packages[@]}")
fi
if [[ "${1:-}" == "--peers" ]]; then
    packages+=("${peer_packages[@]}")
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done

if ((${#missing[@]} == 0)); then
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
else
    sudo=()
fi
echo "setup: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq
# policy-rc.d on CI images refuses to start services; Prometheus is started by the tests themselves.
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
