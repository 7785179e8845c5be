"""procfs tables: stat, uptime, loadavg, meminfo, cpuinfo, net/dev and the boot ID."""

import uuid

from .formats import USER_HZ, Lcg, proc_net_dev_line
from .bonding import netdevs
from .net import statistics

FEATURES = ("fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop "
            "asimddp")

NET_DEV_HEADER = (
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls "
    "carrier compressed\n"
)

# (CPU variant, CPU part) from lscpu: Cortex-A55 r2p0 and Cortex-A76 r4p0.
A55_ID = ("0x2", "0xd05")
A76_ID = ("0x4", "0xd0b")


def write_procfs(tree, variant):
    times = cpu_times(variant)
    tree.text("proc/stat", stat(variant, times))
    idle_seconds = sum(row[3] for row in times) / USER_HZ
    tree.attr("proc/uptime", f"{variant.uptime_seconds}.42 {idle_seconds:.2f}")
    tree.attr("proc/loadavg", variant.load_average)
    tree.text("proc/meminfo", meminfo(variant.memory))
    tree.text("proc/cpuinfo", cpuinfo(variant))
    rows = "".join(proc_net_dev_line(interface.name, statistics(interface)) for interface in netdevs(variant))
    tree.text("proc/net/dev", NET_DEV_HEADER + rows)
    # Invented but fixed per tree, so a state file saved while serving a fixture records its boot.
    boot_id = uuid.uuid5(uuid.NAMESPACE_URL, "ember-fixture:" + variant.directory)
    tree.attr("proc/sys/kernel/random/boot_id", str(boot_id))


def cpu_times(variant):
    """Per-CPU (user nice system idle iowait irq softirq steal guest guest_nice) ticks summing to the uptime."""
    total = variant.uptime_seconds * USER_HZ - 200
    rng = Lcg(7)
    rows = []
    for cpu in range(8):
        busy_permille = (14 if cpu < 4 else 6) + rng.below(5)
        user = total * busy_permille // 1000
        system = user // 3
        nice = rng.below(400)
        iowait = 300 + rng.below(900)
        irq = user // 40
        softirq = user // 25
        idle = total - (user + nice + system + iowait + irq + softirq)
        rows.append((user, nice, system, idle, iowait, irq, softirq, 0, 0, 0))
    return rows


def stat(variant, rows):
    totals = [sum(column) for column in zip(*rows)]
    lines = ["cpu  " + " ".join(map(str, totals))]
    lines += [f"cpu{cpu} " + " ".join(map(str, row)) for cpu, row in enumerate(rows)]

    rng = Lcg(11)
    interrupts = [0] + [rng.below(4000) * (variant.uptime_seconds // 100) for _ in range(63)]
    softirqs = [rng.below(900) * (variant.uptime_seconds // 50) for _ in range(10)]
    lines += [
        f"intr {sum(interrupts)} " + " ".join(map(str, interrupts)),
        f"ctxt {variant.uptime_seconds * 1873}",
        "btime 1718000000",
        f"processes {variant.uptime_seconds // 20 + 1200}",
        "procs_running 1",
        "procs_blocked 0",
        f"softirq {sum(softirqs)} " + " ".join(map(str, softirqs)),
    ]
    return "\n".join(lines) + "\n"


def meminfo(memory):
    """Return /proc/meminfo with fields derived from a few totals, so sums and ratios agree."""
    total, free, cached, anon = memory["total"], memory["free"], memory["cached"], memory["anon"]
    slab_reclaimable = memory["slab"] * 3 // 5
    active_file = cached * 2 // 5
    inactive_file = cached - active_file + memory["buffers"] - memory["shmem"]
    active_anon = anon // 8
    inactive_anon = anon - active_anon + memory["shmem"]
    fields = [
        ("MemTotal", total), ("MemFree", free),
        ("MemAvailable", free + cached + memory["buffers"] + slab_reclaimable - memory["shmem"]),
        ("Buffers", memory["buffers"]), ("Cached", cached), ("SwapCached", 0),
        ("Active", active_anon + active_file), ("Inactive", inactive_anon + inactive_file),
        ("Active(anon)", active_anon), ("Inactive(anon)", inactive_anon),
        ("Active(file)", active_file), ("Inactive(file)", inactive_file),
        ("Unevictable", 0), ("Mlocked", 0), ("SwapTotal", memory["swap"]), ("SwapFree", memory["swap"]),
        ("Dirty", 48), ("Writeback", 0), ("AnonPages", anon - memory["shmem"]), ("Mapped", cached // 4),
        ("Shmem", memory["shmem"]), ("KReclaimable", slab_reclaimable), ("Slab", memory["slab"]),
        ("SReclaimable", slab_reclaimable), ("SUnreclaim", memory["slab"] - slab_reclaimable),
        ("KernelStack", 5664), ("PageTables", 4312), ("NFS_Unstable", 0), ("Bounce", 0),
        ("WritebackTmp", 0), ("CommitLimit", total // 2 + memory["swap"]), ("Committed_AS", anon * 3),
        ("VmallocTotal", memory["vmalloc_total"]), ("VmallocUsed", 21472), ("VmallocChunk", 0),
        ("Percpu", 2240), ("AnonHugePages", 0), ("ShmemHugePages", 0), ("ShmemPmdMapped", 0),
        ("FileHugePages", 0), ("FilePmdMapped", 0), ("CmaTotal", memory["cma"]), ("CmaFree", memory["cma"] - 512),
    ]
    lines = [format_kb(name, value) for name, value in fields]
    for name in ("Total", "Free", "Rsvd", "Surp"):
        lines.append(f"{'HugePages_' + name + ':':<16}{0:>8}")
    lines += [format_kb("Hugepagesize", 2048), format_kb("Hugetlb", 0)]
    return "\n".join(lines) + "\n"


def format_kb(name, value):
    """A meminfo line: the label padded to 16 columns, the value right-aligned in 8, then " kB"."""
    return f"{name + ':':<16}{value:>8} kB"


def cpuinfo(variant):
    """Return the arm64 /proc/cpuinfo layout: one block per CPU, each followed by a blank line."""
    blocks = []
    for cpu in range(8):
        cpu_variant, part = A55_ID if cpu < 4 else A76_ID
        blocks.append(
            f"processor\t: {cpu}\n"
            "BogoMIPS\t: 48.00\n"
            f"Features\t: {FEATURES}\n"
            "CPU implementer\t: 0x41\n"
            "CPU architecture: 8\n"
            f"CPU variant\t: {cpu_variant}\n"
            f"CPU part\t: {part}\n"
            "CPU revision\t: 0\n"
        )
    return "\n".join(blocks) + "\n"
