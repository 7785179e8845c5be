#!/usr/bin/env python3
"""Check `strace -f` logs of the agent against the sandbox of exporters/ember.service.

usage: unit-syscalls.py UNIT TRACE...

The unit cannot be started on machines without systemd as init, so this replays its sandbox
on what the agent did under strace:
  - every system call is in the unit's SystemCallFilter= allow list (the sets are expanded with
    `systemd-analyze syscall-filter`, and a later `~` line removes its sets);
  - with MemoryDenyWriteExecute=yes, no mapping is writable and executable, and no mprotect
    makes memory executable;
  - every socket is of a family in RestrictAddressFamilies=.
Prints each violation and exits 1 when there is one.
"""
import re
import subprocess
import sys

CALL = re.compile(r"^(?:\[pid\s+)?\d*\]?\s*(?:<\.\.\. )?(\w+)(?:\(| resumed>)(.*)")


def syscall_sets():
    """Returns the members of every `@set` as systemd-analyze lists them, nested sets unexpanded."""
    output = subprocess.run(["systemd-analyze", "syscall-filter"], check=True, capture_output=True, text=True).stdout
    sets, current = {}, None
    for line in output.splitlines():
        text = line.strip()
        if line.startswith("@"):
            current = sets.setdefault(text, set())
        elif current is not None and text and not text.startswith("#"):
            current.add(text)
    return sets


def expand(name, sets):
    if not name.startswith("@"):
        return {name}
    members = set()
    for member in sets.get(name, ()):
        members |= expand(member, sets)
    return members


def unit_settings(path):
    """Returns the values of each key of the unit, in file order. The keys read here occur only in [Service]."""
    settings = {}
    with open(path, encoding="utf-8") as unit:
        for line in unit:
            line = line.strip()
            if "=" in line and not line.startswith(("#", ";", "[")):
                key, value = line.split("=", 1)
                settings.setdefault(key, []).append(value)
    return settings


def allowed_syscalls(settings, sets):
    """Returns the system calls the SystemCallFilter= lines allow, starting from @default."""
    allowed = expand("@default", sets)
    for value in settings.get("SystemCallFilter", []):
        names = set()
        for item in value.lstrip("~").split():
            names |= expand(item, sets)
        allowed = allowed - names if value.startswith("~") else allowed | names
    return allowed


def violations(trace, allowed, families):
    problems = []
    with open(trace, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            match = CALL.match(line.strip())
            if not match:
                continue
            name, arguments = match.groups()
            if name not in allowed:
                problems.append(f"system call {name} is outside SystemCallFilter=: {line.strip()}")
            if " resumed>" in line:
                # strace split the call because another thread made one meanwhile. Its arguments
                # are on the `<unfinished ...>` line, checked there; this line contains only the result.
                continue
            if name in ("mmap", "mmap2") and "PROT_WRITE" in arguments and "PROT_EXEC" in arguments:
                problems.append(f"writable and executable mapping: {line.strip()}")
            if name in ("mprotect", "pkey_mprotect") and "PROT_EXEC" in arguments:
                problems.append(f"mprotect to executable: {line.strip()}")
            if name == "socket" and arguments.split(",")[0].strip() not in families:
                problems.append(f"socket family outside RestrictAddressFamilies=: {line.strip()}")
    return problems


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    settings = unit_settings(sys.argv[1])
    allowed = allowed_syscalls(settings, syscall_sets())
    families = set(" ".join(settings.get("RestrictAddressFamilies", [])).split())

    problems = []
    for trace in sys.argv[2:]:
        problems += violations(trace, allowed, families)
    for problem in sorted(set(problems)):
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
