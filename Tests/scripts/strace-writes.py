#!/usr/bin/env python3
"""List the file-system writes in an `strace -f` log that fall outside one allowed directory.

usage: strace-writes.py TRACE [ALLOWED_DIRECTORY]

A write is an open with O_WRONLY, O_RDWR, O_CREAT, O_TRUNC or O_APPEND, or any creat, truncate,
mknod, unlink, rename or mkdir, whether it succeeded or not. Creating the allowed directory's
parents with mkdir is allowed, because the state store creates its directory like `mkdir -p`.
Prints each offending line and exits 1 when there is one. Exits 2 when the trace contains no
open at all, because then strace traced nothing and the check would pass vacuously.
"""
import re
import sys

ALWAYS_WRITES = {
    "creat", "truncate", "ftruncate", "mknod", "mknodat", "unlink", "unlinkat",
    "rename", "renameat", "renameat2", "mkdir", "mkdirat", "rmdir",
}
OPENS = {"open", "openat", "openat2"}
WRITE_FLAGS = re.compile(r"\bO_(WRONLY|RDWR|CREAT|TRUNC|APPEND)\b")
CALL = re.compile(r"^(?:\[pid\s+)?\d*\]?\s*(\w+)\((.*)")
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def is_inside(path, directory):
    return directory is not None and (path == directory or path.startswith(directory + "/"))


def is_parent(path, directory):
    return directory is not None and (path == "/" or directory.startswith(path.rstrip("/") + "/"))


def offending(syscall, arguments, allowed):
    """Returns the written paths of one call that lie outside `allowed`."""
    if syscall in OPENS:
        if not WRITE_FLAGS.search(arguments):
            return []
    elif syscall not in ALWAYS_WRITES:
        return []

    paths = QUOTED.findall(arguments)
    if syscall in OPENS:
        paths = paths[:1]
    outside = [path for path in paths if not is_inside(path, allowed)]
    if syscall in ("mkdir", "mkdirat"):
        outside = [path for path in outside if not is_parent(path, allowed)]
    # A write through a descriptor (ftruncate) names no path, so it cannot be placed and is reported.
    return outside if paths else ["<descriptor>"]


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    allowed = sys.argv[2].rstrip("/") if len(sys.argv) == 3 else None

    opens = 0
    problems = []
    with open(sys.argv[1], encoding="utf-8", errors="replace") as trace:
        for line in trace:
            match = CALL.match(line.strip())
            if not match:
                continue
            syscall, arguments = match.groups()
            opens += syscall in OPENS
            if offending(syscall, arguments, allowed):
                problems.append(line.rstrip())

    for problem in problems:
        print("write outside the storage directory: " + problem)
    if opens == 0:
        print(f"no open calls in {sys.argv[1]}: strace traced nothing", file=sys.stderr)
        return 2
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
