#!/bin/bash
# The test bed's guest side. Runs as root in a chroot of the host's root file system on the guest
# kernel (see guest/init), drives the emulated hardware into known states and captures, after
# each state change, what `ember snapshot` prints and what the kernel itself shows. It checks
# nothing: check.py does that on the host from the files written to $TB_OUT.
#
# Environment: EMBER (the host-built ember binary), TB_OUT (the out share), and optionally
# EMBER_XCTEST, the host-built XCTest bundle whose tests of the machine's own /sys run here too.
# Each step writes one line "ok NAME" or "failed NAME: REASON" to $TB_OUT/steps.txt. A failed step
# does not stop the later ones, so one broken device still leaves the rest checked.
set -u
cd "$TB_OUT"
: >steps.txt

# Runs in this shell, not a subshell, so host_monitor's request counter survives.
step() {  # step NAME COMMAND...
    local name=$1
    shift
    echo "EMBER-TB: step $name" >/dev/console
    if "$@" >/run/tmp/step.out 2>&1; then
        echo "ok $name" >>steps.txt
    else
        echo "failed $name: $(tail -n 3 /run/tmp/step.out | tr '\n' ' ')" >>steps.txt
    fi
}

monitor_request=0
# Runs a QEMU monitor command on the host and waits until the runner has done it.
host_monitor() {
    monitor_request=$((monitor_request + 1))
    echo "EMBER-TB-HMP: $monitor_request $*" >/dev/console
    for _ in $(seq 300); do
        if [[ -e "hmp-$monitor_request.done" ]]; then
            # QMP failures come back as "error: ...", monitor command failures as "Error: ...".
            ! grep -i '^error' "hmp-$monitor_request.reply"
            return
        fi
        sleep 0.1
    done
    echo "monitor command timed out: $*"
    return 1
}

# Under TCG the guest runs many times slower than hardware: on a shared 2-core x86_64 machine the
# hwmon collector's ACPI method calls took up to 0.84 s, past the default 800 ms sample timeout.
# Two seconds leave room for a loaded CI machine.
snapshot() {  # snapshot NAME [--setpriv|--setpriv-admin] [EMBER FLAGS...]: NAME.prom, NAME.log (stderr)
    local name=$1 user=()
    shift
    if [[ "${1:-}" == --setpriv ]]; then
        user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
        shift
    elif [[ "${1:-}" == --setpriv-admin ]]; then
        user=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+sys_admin --ambient-caps=+sys_admin)
        shift
    fi
    "${user[@]}" "$EMBER" snapshot --sample.interval=2s --sample.timeout=2s "$@" >"$name.prom" 2>"$name.log" || {
        local status=$?
        echo "ember snapshot exited with status $status: $(tail -n 2 "$name.log")"
        return $status
    }
}

# Busybox devmem writes 32-bit words into the pc-testdev scratch memory the SSDT reads.
testdev_write() {  # testdev_write OFFSET VALUE
    devmem $((0xFF000000 + $1)) 32 "$2"
}

interface_with_mac() {
    grep -l -x "$1" /sys/class/net/*/address | head -n 1 | xargs dirname | xargs basename
}

wait_for_carrier() {
    for _ in $(seq 150); do
        [[ "$(cat "/sys/class/net/$1/carrier" 2>/dev/null)" == 1 ]] && return 0
        sleep 0.1
    done
    echo "no carrier on $1 after 15 s"
    return 1
}

smart_log() {  # smart_log FILE: the raw 512-byte SMART / Health Information log page
    nvme get-log /dev/nvme0 --log-id=2 --log-len=512 --raw-binary >"$1" && [[ $(stat -c %s "$1") == 512 ]]
}

# Scrapes node_exporter 1.5 (the host's Debian package) on the guest's loopback interface, limited
# to the collectors whose families Ember reproduces.
node_exporter_scrape() {
    local pid status=1
    prometheus-node-exporter --web.listen-address=127.0.0.1:9100 --collector.disable-defaults \
        --collector.hwmon --collector.thermal_zone --collector.powersupplyclass --collector.nvme \
        --collector.netclass --collector.netdev >node-exporter.log 2>&1 &
    pid=$!
    for _ in $(seq 100); do
        if curl -sf -o node-exporter.prom http://127.0.0.1:9100/metrics; then
            status=0
            break
        fi
        sleep 0.2
    done
    kill "$pid"
    wait "$pid"
    return $status
}

# Reads with builtins only, because under TCG every fork costs about 20 ms.
write_truth() {  # write_truth FILE: "PATH<TAB>VALUE" for the kernel files the checks compare with
    local file lines
    for file in /sys/class/thermal/thermal_zone*/temp /sys/class/hwmon/hwmon*/{name,*_input,*_label} \
        /sys/class/power_supply/*/{online,capacity,status} /sys/class/net/*/statistics/[rt]x_{packets,bytes} \
        /sys/bus/pci/devices/*/aer_dev_* /sys/bus/pci/devices/*/aer_rootport_total_err_*; do
        [[ -r "$file" ]] || continue
        mapfile -t lines <"$file"
        printf '%s\t%s\n' "$file" "${lines[*]}"
    done >"$1"
}

# Facts about the guest and captures that become fixtures.
uname -r >kernel-release.txt
step "lspci dump" sh -c 'lspci -D -xxxx >lspci-xxxx.dump'
step "lspci names" sh -c 'lspci -nn >lspci-nn.txt'
step "SMART log, initial" smart_log smart-log-initial.bin
step "sensors -u, initial" sh -c 'sensors -u >sensors-initial.txt'

step "snapshot initial" snapshot initial
# As the unprivileged user `nobody`. The NVMe admin command needs CAP_SYS_ADMIN and /dev/nvme0
# belongs to root, so Ember must report the SMART source unavailable and keep everything else.
step "snapshot unprivileged" snapshot unprivileged --setpriv
# CAP_SYS_ADMIN does not bypass file permissions, so alone it cannot open a node only root may
# read. With group read access, which exporters/60-ember-nvme.rules gives, the open and the admin
# command succeed.
step "snapshot unprivileged with CAP_SYS_ADMIN" snapshot unprivileged-admin --setpriv-admin
step "nvme0 mode" sh -c 'stat -c "%a %U %G" /dev/nvme0 >nvme0-mode.txt'
step "nvme0 readable by group nogroup" sh -c 'chgrp 65534 /dev/nvme0 && chmod 0640 /dev/nvme0'
step "snapshot group-readable nvme0 with CAP_SYS_ADMIN" snapshot unprivileged-group --setpriv-admin
step "restore nvme0 mode" sh -c 'chgrp 0 /dev/nvme0 && chmod "$(cut -d " " -f 1 nvme0-mode.txt)" /dev/nvme0'
write_truth truth-initial.txt

# The same hwmon chips through the sysfs reader: a root other than /sys bypasses libsensors.
mkdir -p /run/tb/sys
step "bind /sys for the sysfs reader" mount --bind /sys /run/tb/sys
step "snapshot sysfs reader" snapshot sysfs-reader --path.sysfs=/run/tb/sys

if "$EMBER" serve --help 2>&1 | grep -q -- '--collector.hwmon.sensors-config'; then
    : >/run/tmp/sensors-empty.conf
    step "snapshot libsensors, empty config" snapshot sensors-empty \
        --collector.hwmon.sensors-config=/run/tmp/sensors-empty.conf
    cat >/run/tmp/sensors-edited.conf <<'CONF'
chip "atk0110-*"
    label temp1 "CPU Die"
    ignore fan2
    compute in1 @*2, @/2
CONF
    step "snapshot libsensors, edited config" snapshot sensors-edited \
        --collector.hwmon.sensors-config=/run/tmp/sensors-edited.conf
    # lm-sensors' own reading of the same configurations, the reference for Ember's.
    step "sensors -u, empty config" sh -c 'sensors -u -c /run/tmp/sensors-empty.conf >sensors-empty-lm.txt'
    step "sensors -u, edited config" sh -c 'sensors -u -c /run/tmp/sensors-edited.conf >sensors-edited-lm.txt'
fi

# New values for the SSDT's devices; offsets and units are listed in acpi/ssdt-ember.asl.
step "devmem: thermal zone 65.0 C" testdev_write 0x00 3382
step "devmem: battery 12500 mWh" testdev_write 0x04 12500
step "devmem: battery discharging" testdev_write 0x08 1
step "devmem: AC offline" testdev_write 0x0C 2
step "devmem: atk0110 temp1 81.2 C" testdev_write 0x18 812
step "devmem: atk0110 fan1 6699 RPM" testdev_write 0x20 6699
step "devmem: battery 9990 mW" testdev_write 0x28 9990

# Raw frames between the two NICs. IPv6 is off so that no other frame moves the counters.
sender=$(interface_with_mac 52:54:00:00:00:01)
receiver=$(interface_with_mac 52:54:00:00:00:02)
echo "sender=$sender receiver=$receiver" >interfaces.txt
echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6
echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
step "link up" sh -c "busybox ip link set $sender up && busybox ip link set $receiver up"
# Loopback carries the node_exporter scrape at the end. It is up before the changed snapshot so
# that both see the same interface state.
step "loopback up" busybox ip link set lo up
step "carrier on the sender" wait_for_carrier "$sender"
step "carrier on the receiver" wait_for_carrier "$receiver"
step "send 10 frames" l2send "$sender" 52:54:00:00:00:02 10
step "send 5 frames back" l2send "$receiver" 52:54:00:00:00:01 5

# NVMe critical warning bit 2 (reliability degraded), set by the emulated controller.
step "set SMART critical warning 4" host_monitor qom-set /machine/peripheral/nvme0 smart_critical_warning 4
step "SMART log, critical warning" smart_log smart-log-critical-warning.bin

# Two correctable errors (receiver error, bad TLP) through the kernel's injector on the e1000e.
step "AER: correctable receiver error" aer-inject 0000:02:00.0 cor 0x1
step "AER: correctable bad TLP" aer-inject 0000:02:00.0 cor 0x40
# One uncorrectable completion timeout from QEMU's virtio-net, which needs the reporting enable
# bits that Linux 6.1 leaves clear on endpoints. The virtio-net driver has no AER recovery
# handler, so the error is only counted.
step "AER: enable reporting" sh -c 'setpci -s 03:00.0 CAP_EXP+0x8.w=0x000f:0x000f COMMAND=0x100:0x100 &&
    setpci -s 00:03.0 COMMAND=0x100:0x100 BRIDGE_CONTROL=0x2:0x2'
step "AER: uncorrectable completion timeout" host_monitor pcie_aer_inject_error nic1 COMP_TIME

# The battery and asus_atk0110 drivers cache readings for 1 s, and AER is handled in a kernel thread.
sleep 1.2
write_truth truth-changed.txt
step "sensors -u, changed" sh -c 'sensors -u >sensors-changed.txt'
step "snapshot changed" snapshot changed
if [[ -n "${EMBER_XCTEST:-}" ]]; then
    # CI=true makes LibsensorsHostTests fail instead of skip when libsensors fails on a real sysfs.
    step "XCTest: tests of the machine's own /sys" sh -c "CI=true '$EMBER_XCTEST' \
        EmberCollectorsTests.LibsensorsHostTests,EmberCollectorsTests.PCIeHostTests >xctest.txt 2>&1"
fi
step "node_exporter scrape" node_exporter_scrape
exit 0
