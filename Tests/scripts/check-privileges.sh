#!/usr/bin/env bash
# Least-privilege checks of an ember binary on this machine:
#   - under strace, `ember snapshot` on this machine's /sys and /proc and on the RK3588 mainline
#     fixture, and a short `ember serve` with a scrape and a state save, open nothing for writing
#     outside the storage directory (strace-writes.py);
#   - exporters/ember.service passes `systemd-analyze verify`, `systemd-analyze security
#     --offline=yes` rates it OK, and the traced runs make no system call its filter rejects
#     (unit-syscalls.py);
#   - as user nobody, without capabilities and with CAP_SYS_ADMIN only (setpriv's ambient
#     capabilities, and setcap's file capabilities on a copy of the binary): the start-up
#     report names the user and capabilities, and PCIe configuration space beyond 64 bytes, which
#     `lspci -xxx` also shows only with CAP_SYS_ADMIN, is reported in ember_source_available.
# usage: check-privileges.sh EMBER. Needs root for setpriv. Takes about 15 s.
set -uo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
source_binary=${1:?usage: check-privileges.sh EMBER}

work=$(mktemp -d)
serve_pid=
cleanup() {
    [[ -n "$serve_pid" ]] && kill "$serve_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
# A copy in a world-readable directory, so user nobody can run it whatever the checkout's modes.
chmod 0755 "$work"
ember="$work/ember"
cp "$source_binary" "$ember"

failures=0
fail() {
    echo "  FAIL: $*"
    failures=$((failures + 1))
}
pass() {
    echo "  ok: $*"
}

# Every system call is traced, for the sandbox check of the unit below as well.
traced() {  # traced TRACE COMMAND...
    local trace=$1
    shift
    strace -f -qq -o "$trace" "$@"
}

check_writes() {  # check_writes NAME TRACE [STORAGE]
    local findings
    if findings=$(python3 Tests/scripts/strace-writes.py "${@:2}" 2>&1); then
        pass "$1: no write outside ${3:-any directory}"
    else
        fail "$1: $(printf '%s\n' "$findings" | head -5)"
    fi
}

echo "-- the checkers reject a bad trace"
cat >"$work/bad.trace" <<'TRACE'
101 openat(AT_FDCWD, "/sys/class/hwmon/hwmon0/temp1_input", O_RDONLY|O_CLOEXEC) = 3
101 openat(AT_FDCWD, "/sys/class/leds/led0/brightness", O_WRONLY|O_CLOEXEC) = 4
102 mount("none", "/sys", NULL, MS_REMOUNT, NULL) = -1 EPERM (Operation not permitted)
TRACE
python3 Tests/scripts/strace-writes.py "$work/bad.trace" >/dev/null \
    && fail "strace-writes.py accepts a write to /sys" || pass "strace-writes.py rejects a write to /sys"
python3 Tests/scripts/unit-syscalls.py exporters/ember.service "$work/bad.trace" >/dev/null \
    && fail "unit-syscalls.py accepts mount(2)" || pass "unit-syscalls.py rejects mount(2)"

echo "-- no writes under strace"
traced "$work/host.trace" "$ember" snapshot --log.level=error >"$work/host.prom" 2>"$work/host.log"
check_writes "snapshot on /sys and /proc" "$work/host.trace"

mainline="$repo/Tests/Fixtures/rk3588/opi5plus-mainline"
traced "$work/fixture.trace" "$ember" snapshot --path.sysfs="$mainline/sys" --path.procfs="$mainline/proc" \
    --path.debugfs="$mainline/sys/kernel/debug" --path.devfs="$mainline/dev" \
    --log.level=error >/dev/null 2>"$work/fixture.log"
check_writes "snapshot on the RK3588 mainline fixture" "$work/fixture.trace"

storage="$work/state"
port=$((20000 + RANDOM % 20000))
strace -f -qq -o "$work/serve.trace" "$ember" serve \
    --web.listen-address="127.0.0.1:$port" --sample.interval=200ms --storage.path="$storage" \
    --storage.flush-interval=1s --log.level=error 2>"$work/serve.log" &
strace_pid=$!
sleep 3
# strace's child is the agent. Stopping it ends strace, which then has written the whole trace.
serve_pid=$(pgrep -P "$strace_pid")
curl -sf "http://127.0.0.1:$port/metrics" >/dev/null || fail "serve: no /metrics answer on port $port"
kill -TERM "$serve_pid"
wait "$strace_pid"
serve_pid=
check_writes "serve with storage" "$work/serve.trace" "$storage"
# The positive control: the trace must show the state save, or the check above proves nothing.
if grep -q "openat(.*\"$storage/.*O_CREAT" "$work/serve.trace"; then
    pass "serve: the state save in $storage is seen in the trace"
else
    fail "serve: no write into $storage in the trace"
fi

echo "-- systemd unit"
sed "s|^ExecStart=/usr/local/bin/ember|ExecStart=$ember|" exporters/ember.service >"$work/ember.service"
if findings=$(systemd-analyze verify "$work/ember.service" 2>&1) && [[ -z "$findings" ]]; then
    pass "systemd-analyze verify"
else
    fail "systemd-analyze verify: $findings"
fi
if findings=$(python3 Tests/scripts/unit-syscalls.py exporters/ember.service "$work"/{host,fixture,serve}.trace); then
    pass "the traced runs stay within the unit's system call filter, W^X and address families"
else
    fail "the traced runs break the unit's sandbox: $(printf '%s\n' "$findings" | head -5)"
fi
exposure=$(systemd-analyze security --offline=yes --no-pager "$work/ember.service" 2>&1 | grep 'Overall exposure')
if [[ "$exposure" == *" OK "* ]]; then
    pass "systemd-analyze security: ${exposure#→ }"
else
    fail "systemd-analyze security: ${exposure:-no rating}"
fi

echo "-- as user nobody"
if [[ $(id -u) -ne 0 ]]; then
    fail "needs root to switch to user nobody with setpriv"
    echo "$failures failed"
    exit 1
fi
as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
with_admin=(--inh-caps=+sys_admin --ambient-caps=+sys_admin)

unprivileged() {  # unprivileged NAME BINARY [SETPRIV FLAGS...]: NAME.prom and NAME.log in $work
    local name=$1 binary=$2
    shift 2
    (cd "$work" && "${as_nobody[@]}" "$@" "$binary" snapshot --log.level=info \
        >"$work/$name.prom" 2>"$work/$name.log")
}
unprivileged plain "$ember" || fail "snapshot as nobody exited with $?"
unprivileged admin "$ember" "${with_admin[@]}" || fail "snapshot as nobody with CAP_SYS_ADMIN exited with $?"
# The README's way without systemd: the capability as a file capability of the binary.
cp "$ember" "$work/ember-setcap"
setcap cap_sys_admin+ep "$work/ember-setcap" || fail "setcap cap_sys_admin+ep failed"
unprivileged setcap "$work/ember-setcap" || fail "snapshot as nobody of the setcap binary exited with $?"

expect_log() {  # expect_log NAME PATTERN
    if grep 'msg="privileges at start"' "$work/$1.log" | grep -q -- "$2"; then
        pass "$1: start-up report has $2"
    else
        fail "$1: no start-up report with $2 in: $(grep privileges "$work/$1.log")"
    fi
}
expect_log plain "user=nobody uid=65534"
expect_log plain "capabilities=none"
expect_log admin "capabilities=CAP_SYS_ADMIN"
expect_log setcap "capabilities=CAP_SYS_ADMIN"
for name in plain admin setcap; do
    count=$(grep -c 'msg="privileges at start"' "$work/$name.log")
    [[ "$count" == 1 ]] && pass "$name: one start-up report" || fail "$name: $count start-up reports"
done

# Bytes of configuration space lspci shows for the first PCI function: 64 without CAP_SYS_ADMIN.
config_bytes() {  # config_bytes [SETPRIV FLAGS...]
    "${as_nobody[@]}" "$@" lspci -xxx -s "$function" | grep -c '^[0-9a-f]0: ' | awk '{ print $1 * 16 }'
}
function=$(lspci -D 2>/dev/null | awk 'NR == 1 { print $1 }')
if [[ -z "$function" ]]; then
    echo "  no PCI function on this machine: the PCIe config-space part is not checked"
else
    plain_bytes=$(config_bytes)
    admin_bytes=$(config_bytes "${with_admin[@]}")
    echo "  lspci -xxx -s $function as nobody: $plain_bytes bytes, with CAP_SYS_ADMIN: $admin_bytes bytes"
    [[ "$plain_bytes" == 64 && "$admin_bytes" -gt 64 ]] || fail "lspci does not show the kernel's 64-byte limit"

    pcie_denied='^ember_source_available{collector="pcie",needs="CAP_SYS_ADMIN",source="[^"]*/config"} 0$'
    if grep -q "$pcie_denied" "$work/plain.prom"; then
        pass "plain: PCIe config space is reported unavailable, needs CAP_SYS_ADMIN"
    else
        fail "plain: no ember_source_available for PCIe config space: $(grep source_available "$work/plain.prom")"
    fi
    grep -q 'needs=CAP_SYS_ADMIN' "$work/plain.log" || fail "plain: no log line naming CAP_SYS_ADMIN"
    for name in admin setcap; do
        if grep -q '^ember_source_available{collector="pcie"' "$work/$name.prom"; then
            fail "$name: PCIe config space still reported unavailable with CAP_SYS_ADMIN"
        else
            pass "$name: PCIe config space readable with CAP_SYS_ADMIN"
        fi
    done
fi

# NVMe SMART needs CAP_SYS_ADMIN and read access to /dev/nvmeN, which only root has without a udev rule.
if compgen -G "/dev/nvme[0-9]" >/dev/null; then
    grep -q '^ember_source_available{collector="nvme"' "$work/plain.prom" \
        && pass "plain: NVMe SMART reported unavailable" || fail "plain: NVMe SMART not reported unavailable"
else
    echo "  no NVMe controller on this machine: the NVMe part is checked in the QEMU test bed"
fi

# Everything but the denied sources must be the same as root's.
"$ember" snapshot --log.level=error >"$work/root.prom" 2>/dev/null
families() { grep -v '^#' "$1" | sed 's/[{ ].*//' | grep -v '^ember_source_available$' | sort -u; }
if difference=$(diff <(families "$work/root.prom") <(families "$work/plain.prom")); then
    pass "plain: the same families as root, apart from ember_source_available"
else
    fail "plain: families differ from root's: $difference"
fi

echo "$failures failed"
((failures == 0))
