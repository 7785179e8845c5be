"""Writes one fixture tree: attribute files, raw binary files and kernfs-style relative symlinks."""

import os
import posixpath


class Tree:
    """A fixture root holding `sys/` and `proc/`; every path given to it is relative to that root."""

    def __init__(self, root):
        self.root = root

    def attr(self, path, value):
        """Write a one-line attribute the way sysfs prints it: the value, then a newline."""
        self.text(path, f"{value}\n")

    def text(self, path, content):
        self.binary(path, content.encode("utf-8"))

    def binary(self, path, data):
        full = os.path.join(self.root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if os.path.lexists(full):
            raise ValueError(f"fixture file written twice: {path}")
        with open(full, "wb") as handle:
            handle.write(data)

    def attrs(self, directory, values):
        """Write each `name: value` pair of a dict as an attribute under `directory`."""
        for name, value in values.items():
            self.attr(f"{directory}/{name}", value)

    def link(self, path, target):
        """Create the symlink `path` -> `target`, spelled as the kernel's kernfs spells it."""
        full = os.path.join(self.root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        os.symlink(kernfs_relative(posixpath.dirname(path), target), full)

    def verify(self):
        """Raise if a symlink dangles or a directory is empty (git would drop it on checkout)."""
        for directory, subdirectories, files in os.walk(self.root):
            if not subdirectories and not files:
                raise ValueError(f"empty directory: {directory}")
            for name in subdirectories + files:
                full = os.path.join(directory, name)
                if os.path.islink(full) and not os.path.exists(full):
                    raise ValueError(f"dangling symlink: {full} -> {os.readlink(full)}")


def kernfs_relative(link_directory, target):
    """Return the link text kernfs would store for a link in `link_directory` pointing to `target`.

    kernfs climbs from the link's directory until it reaches an ancestor of the target's parent,
    then descends, so `nvme0/device` reads `../../../0000:01:00.0`, not the shorter `../..`.
    """
    base = link_directory
    climbs = 0
    target_parent = posixpath.dirname(target)
    while not is_ancestor(base, target_parent):
        base = posixpath.dirname(base)
        climbs += 1
    descent = target[len(base) + 1:] if base else target
    return "../" * climbs + descent


def is_ancestor(base, path):
    return base == "" or path == base or path.startswith(base + "/")
