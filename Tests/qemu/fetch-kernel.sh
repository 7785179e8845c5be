#!/usr/bin/env bash
# Downloads Debian's amd64 kernel package into the work directory and prepares it for QEMU. The
# package is unpacked with dpkg-deb (never installed) and modules.dep rebuilt with depmod. The
# uncompressed ELF `vmlinux` is cut out of vmlinuz so that QEMU boots it directly through PVH,
# which saves about 3 s of in-guest XZ decompression per boot under TCG. A prepared kernel is reused, so only the first
# run downloads (about 70 MB).
#
# Usage: fetch-kernel.sh WORK_DIR
# Prints the kernel directory (WORK_DIR/kernel/VERSION) on stdout; progress goes to stderr.
# EMBER_QEMU_KERNEL_PACKAGE selects another package than the one linux-image-amd64 depends on.
set -euo pipefail

work=${1:?usage: fetch-kernel.sh WORK_DIR}
mkdir -p "$work/kernel"

resolve_package() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '/Depends: linux-image-[0-9]/ && !found { print $2; found = 1 }'
}

package=${EMBER_QEMU_KERNEL_PACKAGE:-}
if [[ -z "$package" ]]; then
    package=$(resolve_package)
fi
# A machine whose packages were all installed in advance may have no package lists at all.
if [[ -z "$package" && $(id -u) -eq 0 ]]; then
    echo "fetch-kernel: linux-image-amd64 not found in the package lists, running apt-get update" >&2
    apt-get update -qq >&2
    package=$(resolve_package)
fi
if [[ -z "$package" ]]; then
    echo "fetch-kernel: failed to resolve linux-image-amd64 to a kernel package. Run apt-get update as root and retry." >&2
    exit 1
fi
version=${package#linux-image-}
kernel_dir="$work/kernel/$version"

if [[ -f "$kernel_dir/ready" ]]; then
    echo "$kernel_dir"
    exit 0
fi

echo "fetch-kernel: downloading $package" >&2
rm -rf "$kernel_dir"
mkdir -p "$kernel_dir/download"
# apt-get downloads as the user _apt when run as root, and warns unless that user can write here.
chmod 0777 "$kernel_dir/download"
(cd "$kernel_dir/download" && apt-get download -q "$package" >&2)
dpkg-deb -x "$kernel_dir"/download/*.deb "$kernel_dir/root"
rm -rf "$kernel_dir/download"

# The package ships no modules.dep because it is generated at install time, which this script skips.
depmod -b "$kernel_dir/root" "$version"

# vmlinuz is a bzImage whose payload is one XZ stream. Its magic is FD 37 7A 58 5A 00.
vmlinuz="$kernel_dir/root/boot/vmlinuz-$version"
offset=$(LC_ALL=C grep -m1 -aboUP '\xfd7zXZ\x00' "$vmlinuz" | cut -d: -f1 || true)
if [[ -z "$offset" ]]; then
    echo "fetch-kernel: no XZ payload in $vmlinuz" >&2
    exit 1
fi
# xz stops after the first stream, so tail may die of SIGPIPE. Only xz's status counts.
tail -c +$((offset + 1)) "$vmlinuz" | xz -dc --single-stream >"$kernel_dir/vmlinux" || ((PIPESTATUS[1] == 0))

touch "$kernel_dir/ready"
echo "$kernel_dir"
