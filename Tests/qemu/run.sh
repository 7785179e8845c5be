#!/usr/bin/env bash
# Runs `ember snapshot` on a real Linux kernel in QEMU and checks what it reports against the
# emulated hardware. The guest has an NVMe controller, PCIe root ports and two NICs on an isolated
# QEMU hub. A custom ACPI table adds a thermal zone, a battery, an AC adapter and a labelled
# hwmon chip.
#
# Usage: Tests/qemu/run.sh [--ember PATH] [--xctest PATH] [--update-fixtures]
#   --ember PATH        the binary to test (default: .build/release/ember, else .build/debug/ember)
#   --xctest PATH       also run this XCTest bundle's tests of the machine's own /sys in the guest
#                       (.build/debug/EmberPackageTests.xctest after swift build --build-tests)
#   --update-fixtures   copy the captured SMART log pages and lspci dump into Tests/Fixtures
# Environment: EMBER_QEMU_WORK, the cache and scratch directory (default ${TMPDIR:-/tmp}/ember-qemu);
# EMBER_QEMU_TIMEOUT, seconds before the guest is killed (default 300); EMBER_QEMU_ACCEL.
#
# Exit status 0 when every check passed or skipped, 1 otherwise. A missing tool or a failed kernel
# download skips the whole test bed with the reason, except with CI=true, where it fails.
# x86_64 hosts only: the guest runs the host's own binaries.
set -euo pipefail
start=$SECONDS
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${EMBER_QEMU_WORK:-${TMPDIR:-/tmp}/ember-qemu}

ember=""
xctest=""
update_fixtures=false
while (($#)); do
    case $1 in
        --ember) ember=${2:?--ember needs a path}; shift 2 ;;
        --ember=*) ember=${1#--ember=}; shift ;;
        --xctest) xctest=${2:?--xctest needs a path}; shift 2 ;;
        --xctest=*) xctest=${1#--xctest=}; shift ;;
        --update-fixtures) update_fixtures=true; shift ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

unavailable() {  # unavailable REASON: skip, or fail under CI
    if [[ "${CI:-}" == true ]]; then
        echo "FAIL qemu test bed: $1" >&2
        exit 1
    fi
    echo "SKIP qemu test bed: $1"
    exit 0
}

[[ $(uname -m) == x86_64 ]] || unavailable "the guest is x86_64 and runs the host's binaries; this host is $(uname -m)"
for tool in qemu-system-x86_64 iasl gcc cpio apt-get dpkg-deb modprobe depmod xz python3 nvme lspci setpci sensors \
    prometheus-node-exporter curl flock setpriv; do
    command -v "$tool" >/dev/null || unavailable "$tool is missing; bash Tests/scripts/setup.sh installs it"
done
[[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1 ||
    unavailable "a static /bin/busybox is missing; bash Tests/scripts/setup.sh installs busybox-static"

if [[ -z "$ember" ]]; then
    for candidate in "$repo/.build/release/ember" "$repo/.build/debug/ember"; do
        [[ -x "$candidate" ]] && { ember=$candidate; break; }
    done
fi
[[ -n "$ember" && -x "$ember" ]] || { echo "run.sh: no ember binary; run swift build first" >&2; exit 1; }
ember=$(cd "$(dirname "$ember")" && pwd)/$(basename "$ember")
environment=("EMBER=$ember")
if [[ -n "$xctest" ]]; then
    [[ -x "$xctest" ]] || { echo "run.sh: XCTest bundle $xctest not found; run swift build --build-tests" >&2; exit 1; }
    environment+=("EMBER_XCTEST=$(cd "$(dirname "$xctest")" && pwd)/$(basename "$xctest")")
fi

mkdir -p "$work/helpers"
# One run at a time per work directory: runs share the kernel cache, the initramfs and out/.
exec 9>"$work/lock"
flock 9
kernel_dir=$(bash "$here/fetch-kernel.sh" "$work") || unavailable "the kernel package could not be fetched"

for helper in l2send aer-inject; do
    gcc -static -O2 -Wall -o "$work/helpers/$helper" "$here/helpers/$helper.c"
done
iasl -p "$work/ssdt-ember" "$here/acpi/ssdt-ember.asl" >"$work/iasl.log" 2>&1 ||
    { cat "$work/iasl.log" >&2; exit 1; }
bash "$here/build-initramfs.sh" "$kernel_dir" "$work/helpers" "$work/initramfs.cpio"

out="$work/out"
rm -rf "$out"
mkdir -p "$out"
echo "qemu: booting $(basename "$kernel_dir") with $ember; console log in $out/console.log"
status=0
python3 "$here/runner.py" --kernel "$kernel_dir/vmlinux" --initrd "$work/initramfs.cpio" \
    --ssdt "$work/ssdt-ember.aml" --out-dir "$out" --script "$here/guest/test.sh" \
    "${environment[@]/#/--env=}" --timeout "${EMBER_QEMU_TIMEOUT:-300}" || status=$?
if ((status != 0)); then
    echo "FAIL qemu guest exited with status $status (124: timeout, 125: no exit marker, 126: QEMU failed)"
    tail -n 30 "$out/console.log"
    exit 1
fi

python3 "$here/check.py" "$out" || status=$?

if [[ $update_fixtures == true ]]; then
    mkdir -p "$repo/Tests/Fixtures/nvme"
    cp "$out/smart-log-initial.bin" "$repo/Tests/Fixtures/nvme/qemu-7.2-smart-log.bin"
    cp "$out/smart-log-critical-warning.bin" "$repo/Tests/Fixtures/nvme/qemu-7.2-smart-log-critical-warning-4.bin"
    mkdir -p "$repo/Tests/Fixtures/pcie"
    cp "$out/lspci-xxxx.dump" "$repo/Tests/Fixtures/pcie/qemu-q35.dump"
    echo "qemu: fixtures updated in Tests/Fixtures/nvme and Tests/Fixtures/pcie"
fi
echo "qemu test bed: $((SECONDS - start)) s wall"
exit $((status != 0))
