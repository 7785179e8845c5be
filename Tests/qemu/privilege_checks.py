"""Checks of the start-up privilege report on the guest's real NVMe controller.

The guest takes three snapshots as user nobody: without capabilities, with CAP_SYS_ADMIN only,
and with CAP_SYS_ADMIN after giving group nogroup read access to /dev/nvme0, as
exporters/60-ember-nvme.rules does for group ember. The admin command needs both, so the SMART
log is read in the last run only.
"""

from feature_checks import NO_SMART

RUNS = {
    "unprivileged": "capabilities=none",
    "unprivileged-admin": "capabilities=CAP_SYS_ADMIN",
    "unprivileged-group": "capabilities=CAP_SYS_ADMIN",
}


def nvme_denials(snapshot):
    """Return the `needs` label of each ember_source_available sample of the nvme collector."""
    return [labels.get("needs") for labels, _ in snapshot.select("ember_source_available", collector="nvme")]


def check_reports(capture, report):
    for name, capabilities in RUNS.items():
        log = capture.read(f"{name}.log") or ""
        headers = [line for line in log.splitlines() if 'msg="privileges at start"' in line]
        problems = [] if len(headers) == 1 else [f"{len(headers)} start-up reports in {name}.log"]
        problems += [f"no uid=65534 and {capabilities}: {header}" for header in headers
                     if "uid=65534" not in header or capabilities not in header]
        report.expect(f"{name}: one start-up report, uid 65534, {capabilities}", problems)


def check_nvme_access(capture, report):
    initial = capture.snapshots.get("initial")
    runs = [capture.snapshots.get(name) for name in RUNS]
    name = "privileges: NVMe SMART needs CAP_SYS_ADMIN and read access to /dev/nvme0"
    if not initial or not initial.has_prefix("ember_nvme_"):
        report.expect(name, [NO_SMART])
        return
    if None in runs:
        report.expect(name, ["a snapshot as nobody is missing"])
        return

    plain, admin, group = runs
    mode = (capture.read("nvme0-mode.txt") or "").strip()
    problems = []
    if mode != "600 root root":
        problems.append(f"/dev/nvme0 is '{mode}', expected the kernel's '600 root root'")
    # The node is root's, so the file permission decides first, with or without the capability.
    for run, label in ((plain, "without capabilities"), (admin, "with CAP_SYS_ADMIN")):
        if nvme_denials(run) != ["root"]:
            problems.append(f"{label}: nvme needs {nvme_denials(run)}, expected ['root']")
        if run.has_prefix("ember_nvme_critical"):
            problems.append(f"{label}: SMART families exported")
    admin_log = capture.read("unprivileged-admin.log") or ""
    if "/dev/nvme0 has mode 0600" not in admin_log:
        problems.append("with CAP_SYS_ADMIN: the log does not name the mode of /dev/nvme0")
    if nvme_denials(group):
        problems.append(f"group-readable node with CAP_SYS_ADMIN: nvme still needs {nvme_denials(group)}")
    if group.value("ember_nvme_critical_warning", device="nvme0") is None:
        problems.append("group-readable node with CAP_SYS_ADMIN: no ember_nvme_critical_warning")
    report.expect(name, problems)


def check_privileges(capture, report):
    check_reports(capture, report)
    check_nvme_access(capture, report)
