#!/usr/bin/env python3
"""Boot the test bed guest in QEMU, run one host script inside it and return the script's status.

The guest is a q35 machine with an NVMe controller behind a PCIe root port that advertises
8 GT/s x4, an e1000e and a virtio-net NIC behind two more root ports, and the test bed SSDT with a
pc-testdev. Both NICs sit on QEMU hub 0 and nothing else does: there is no user-mode network, tap
or socket backend, so the guest has no network path out.

The host root is shared read-only over 9p and the out directory read-write. The guest's init runs
the script in a chroot of the host root (see guest/init). The serial console is the protocol:

    EMBER-TB: init-start, modules-loaded   time stamps, logged
    EMBER-TB: exit=N                       the script's status, returned as the runner's own
    EMBER-TB-HMP: ID COMMAND               COMMAND runs as a QEMU monitor command through QMP
                                           (only qom-set, qom-get, pcie_aer_inject_error, info);
                                           the reply goes to OUT/hmp-ID.reply, then OUT/hmp-ID.done
                                           is created to tell the guest the command completed

Exit status: the script's, 124 when the timeout expired (QEMU is killed), 125 when the guest
stopped without an exit marker (a kernel panic, say), 126 when QEMU failed to start.
"""

import argparse
import json
import os
import re
import selectors
import socket
import subprocess
import sys
import tempfile
import time

MARKER = re.compile(r"EMBER-TB: (\S.*)")
MONITOR_REQUEST = re.compile(r"EMBER-TB-HMP: (\d+) (\S.*)")
# Monitor commands a guest may request. Others, such as `migrate exec:...`, which runs a host
# shell command, are rejected, so console output cannot reach beyond the emulated devices.
ALLOWED_MONITOR_COMMANDS = ("qom-set ", "qom-get ", "pcie_aer_inject_error ", "info ")


def choose_accelerator():
    """Return "kvm" only where KVM can run a stock kernel, else "tcg".

    On hosts whose /dev/kvm is PVM (module kvm_pvm, no vmx/svm CPU flag), QEMU either aborts on
    an MSR write or hangs in the firmware with a stock kernel, so those get TCG.
    EMBER_QEMU_ACCEL overrides the choice.
    NOTE: only the TCG path has run so far, because the machines this was built on have PVM.
    """
    forced = os.environ.get("EMBER_QEMU_ACCEL")
    if forced:
        return forced
    if not os.access("/dev/kvm", os.R_OK | os.W_OK) or os.path.exists("/sys/module/kvm_pvm"):
        return "tcg"
    with open("/proc/cpuinfo") as cpuinfo:
        flags = re.search(r"^flags\s*:(.*)$", cpuinfo.read(), re.MULTILINE)
    if flags and ({"vmx", "svm"} & set(flags.group(1).split())):
        return "kvm"
    return "tcg"


def qemu_command(args, accelerator, qmp_path, nvme_image):
    cpu = "host" if accelerator == "kvm" else "max"
    return [
        "qemu-system-x86_64",
        "-machine", f"q35,accel={accelerator}", "-cpu", cpu, "-smp", "2", "-m", "512M",
        "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
        "-serial", "stdio", "-monitor", "none",
        "-qmp", f"unix:{qmp_path},server=on,wait=off",
        "-kernel", args.kernel, "-initrd", args.initrd,
        "-append", "console=ttyS0 loglevel=4 panic=-1",
        # NVMe behind a root port capable of 8 GT/s x4; QEMU 7.2 endpoints train at 2.5 GT/s x1.
        "-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1,x-speed=8,x-width=4",
        "-drive", f"if=none,id=nvm0,file={nvme_image},format=raw",
        "-device", "nvme,id=nvme0,serial=TB-NVME-0001,drive=nvm0,bus=rp1",
        "-device", "pcie-root-port,id=rp2,bus=pcie.0,chassis=2,slot=2,x-speed=2_5,x-width=1",
        "-netdev", "hubport,id=hp0,hubid=0",
        "-device", "e1000e,id=nic0,netdev=hp0,bus=rp2,mac=52:54:00:00:00:01,romfile=",
        "-device", "pcie-root-port,id=rp3,bus=pcie.0,chassis=3,slot=3",
        "-netdev", "hubport,id=hp1,hubid=0",
        "-device", "virtio-net-pci,id=nic1,netdev=hp1,bus=rp3,mac=52:54:00:00:00:02,aer=on,romfile=",
        "-acpitable", f"file={args.ssdt}", "-device", "pc-testdev",
        "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
        "-virtfs", f"local,path={args.out_dir},mount_tag=tbout,security_model=none,multidevs=remap",
    ]


class Monitor:
    """A QMP connection used only for human-monitor-command."""

    def __init__(self, path, deadline, process):
        while True:
            if process.poll() is not None:
                raise OSError(f"QEMU exited with status {process.returncode} before its monitor opened")
            try:
                self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.socket.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self.socket.close()
                if time.monotonic() > deadline:
                    raise TimeoutError(f"QMP socket {path} did not open")
                time.sleep(0.05)
        self.stream = self.socket.makefile("rw")
        json.loads(self.stream.readline())  # the greeting
        self.execute("qmp_capabilities")

    def execute(self, command, arguments=None):
        request = {"execute": command}
        if arguments:
            request["arguments"] = arguments
        self.stream.write(json.dumps(request) + "\n")
        self.stream.flush()
        while True:
            reply = json.loads(self.stream.readline())
            if "event" not in reply:
                return reply

    def human(self, command_line):
        reply = self.execute("human-monitor-command", {"command-line": command_line})
        if "error" in reply:
            return "error: " + reply["error"].get("desc", str(reply["error"]))
        return reply.get("return", "")


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernel", required=True, help="uncompressed vmlinux (PVH boot)")
    parser.add_argument("--initrd", required=True)
    parser.add_argument("--ssdt", required=True, help="compiled test bed SSDT (.aml)")
    parser.add_argument("--out-dir", required=True, help="directory shared read-write with the guest")
    parser.add_argument("--script", required=True, help="absolute host path of the script to run")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="environment for the script; no spaces in values")
    parser.add_argument("--timeout", type=float, default=300, help="seconds before QEMU is killed")
    parser.add_argument("--log", help="console log file (default OUT_DIR/console.log)")
    return parser.parse_args()


def write_command_file(args):
    for entry in args.env:
        if "=" not in entry or any(c.isspace() for c in entry):
            sys.exit(f"runner: invalid --env {entry!r}: expected KEY=VALUE without spaces")
    with open(os.path.join(args.out_dir, "command"), "w") as command:
        command.write("\n".join([args.script, *args.env]) + "\n")


def handle_line(line, state, args):
    """Act on one console line; return the exit status once the guest reported it."""
    request = MONITOR_REQUEST.search(line)
    if request:
        identifier, command_line = request.groups()
        if command_line.startswith(ALLOWED_MONITOR_COMMANDS):
            reply = state["monitor"].human(command_line)
        else:
            reply = f"error: monitor command not allowed by runner.py: {command_line}"
        state["log"].write(f"[host] monitor {command_line!r} -> {reply.strip()!r}\n")
        with open(os.path.join(args.out_dir, f"hmp-{identifier}.reply"), "w") as reply_file:
            reply_file.write(reply)
        open(os.path.join(args.out_dir, f"hmp-{identifier}.done"), "w").close()
        return None

    marker = MARKER.search(line)
    if not marker:
        return None
    event = marker.group(1)
    state["events"].append((time.monotonic() - state["start"], event))
    if event.startswith("exit="):
        return int(event[len("exit="):])
    return None


def run_guest(args, process, state):
    """Copy the console to the log until the guest reports its status, exits or times out."""
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    buffer = b""
    status = None
    deadline = state["start"] + args.timeout
    while time.monotonic() < deadline:
        if not selector.select(timeout=0.5):
            continue
        chunk = os.read(process.stdout.fileno(), 65536)
        if not chunk:
            break
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", "replace").rstrip("\r")
            state["log"].write(f"{time.monotonic() - state['start']:7.2f} {line}\n")
            found = handle_line(line, state, args)
            status = found if found is not None else status
    else:
        return 124
    process.wait(timeout=30)
    return 125 if status is None else status


def main():
    args = parse_arguments()
    os.makedirs(args.out_dir, exist_ok=True)
    write_command_file(args)
    accelerator = choose_accelerator()

    with tempfile.TemporaryDirectory(prefix="ember-qemu-run.") as scratch:
        qmp_path = os.path.join(scratch, "qmp.sock")
        nvme_image = os.path.join(scratch, "nvme0.img")
        with open(nvme_image, "wb") as image:
            image.truncate(64 * 1024 * 1024)  # sparse: uses no disk

        log_path = args.log or os.path.join(args.out_dir, "console.log")
        with open(log_path, "w", buffering=1) as log:
            command = qemu_command(args, accelerator, qmp_path, nvme_image)
            log.write("[host] " + " ".join(command) + "\n")
            state = {"start": time.monotonic(), "log": log, "events": []}
            try:
                process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                           stderr=subprocess.STDOUT)
            except OSError as error:
                print(f"runner: cannot start QEMU: {error}", file=sys.stderr)
                return 126
            try:
                state["monitor"] = Monitor(qmp_path, state["start"] + 10, process)
                status = run_guest(args, process, state)
            except (OSError, TimeoutError, ValueError) as error:
                log.write(f"[host] runner error: {error}\n")
                status = 126
                if process.poll() is not None:
                    # QEMU exited before its monitor opened: its own error message is unread.
                    log.write(process.stdout.read().decode("utf-8", "replace"))
            finally:
                if process.poll() is None:
                    process.kill()  # only the QEMU this runner started, by its pid
                    process.wait()
            elapsed = time.monotonic() - state["start"]
            events = ", ".join(f"{name} {at:.1f}s" for at, name in state["events"] if not name.startswith("step "))
            summary = f"runner: accel={accelerator}, {events or 'no marker'}, total {elapsed:.1f}s, status {status}"
            log.write(f"[host] {summary}\n")
    print(summary, file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
