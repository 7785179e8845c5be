#!/usr/bin/env bash
# Builds the guest's initramfs: static busybox, the init script, the kernel modules the test bed
# needs (with their dependencies, in load order) and the static helpers. Everything else the
# guest runs comes from the host root over 9p, so the image stays small (about 3 MB).
#
# Usage: build-initramfs.sh KERNEL_DIR HELPERS_DIR OUTPUT
set -euo pipefail

kernel_dir=${1:?usage: build-initramfs.sh KERNEL_DIR HELPERS_DIR OUTPUT}
helpers_dir=${2:?usage: build-initramfs.sh KERNEL_DIR HELPERS_DIR OUTPUT}
output=${3:?usage: build-initramfs.sh KERNEL_DIR HELPERS_DIR OUTPUT}
here=$(cd "$(dirname "$0")" && pwd)
version=$(basename "$kernel_dir")

# nvme and the NICs for the devices under test, ac/battery/asus_atk0110 for the SSDT's devices,
# aer_inject for correctable AER errors, 9p for the host root and out shares.
modules=(nvme e1000e virtio_pci virtio_net ac battery asus_atk0110 aer_inject 9pnet_virtio 9p)

staging=$(mktemp -d "${TMPDIR:-/tmp}/ember-initramfs.XXXXXX")
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging"/{bin,dev,proc,sys,etc/ember-tb}

cp /bin/busybox "$staging/bin/busybox"
cp "$helpers_dir/l2send" "$helpers_dir/aer-inject" "$staging/bin/"
cp "$here/guest/init" "$staging/init"
chmod 0755 "$staging/init"

# modprobe prints "insmod PATH" per module, dependencies first, repeating shared ones.
declare -A seen=()
for module in "${modules[@]}"; do
    while read -r command path _; do
        [[ "$command" == insmod ]] || continue
        relative=${path#"$kernel_dir/root/"}
        relative=${relative#./}
        [[ -z "${seen[$relative]:-}" ]] || continue
        seen[$relative]=1
        mkdir -p "$staging/$(dirname "$relative")"
        cp "$path" "$staging/$relative"
        echo "/$relative" >>"$staging/etc/ember-tb/modules"
    done < <(modprobe -d "$kernel_dir/root" -S "$version" --show-depends "$module")
done

(cd "$staging" && find . -print0 | cpio --null -o -H newc --quiet) >"$output.tmp"
mv "$output.tmp" "$output"
