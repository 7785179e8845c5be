#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into Fuzzing/Corpus/TARGET from the committed fixtures.

Collector targets take `PATH\\nCONTENT` inputs (see Sources/FuzzSupport/CollectorHarness.swift), so
their seeds are a fixture path under Tests/Fixtures, a newline and that file's bytes. The other
targets take a file's bytes as they are. Seeds are cut to MAX_SEED_BYTES, so each corpus stays a few
KiB; the fuzzer grows its own working corpus from them. FuzzStateFile's seeds are a state file of a
small history, its payload and the same history as a version 2 file, which only the Swift encoder can write, so the script runs the built
target to write them (build it first with Tests/scripts/fuzz.sh). Rerun after changing a fixture or a target:

    python3 Fuzzing/make-corpus.py
"""
import glob
import hashlib
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
CORPUS = os.path.join(ROOT, "Fuzzing", "Corpus")
MAX_SEED_BYTES = 1024
MAINLINE = "rk3588/opi5plus-mainline"
VENDOR = "rk3588/opi5plus-v5.10"
VENDOR61 = "rk3588/opi5plus-v6.1"
NODE = "node-exporter"

# Target → fixture globs whose files become seeds with a PATH line.
COLLECTOR_SEEDS = {
    "FuzzDevfreq": [f"{VENDOR}/sys/class/devfreq/*/trans_stat", f"{MAINLINE}/sys/class/devfreq/*/trans_stat",
                    f"{VENDOR}/sys/class/devfreq/fb000000.gpu/cur_freq"],
    "FuzzCpuidle": [f"{MAINLINE}/sys/devices/system/cpu/cpu4/cpuidle/state*/name",
                    f"{MAINLINE}/sys/devices/system/cpu/cpu4/cpuidle/state1/time",
                    f"{MAINLINE}/sys/devices/system/cpu/cpu4/cpuidle/state1/usage",
                    f"{VENDOR}/sys/devices/system/cpu/cpu4/cpuidle/state1/disable"],
    "FuzzHwmon": [f"{MAINLINE}/sys/class/hwmon/hwmon0/name", f"{MAINLINE}/sys/class/hwmon/hwmon0/temp1_input",
                  f"{NODE}/sys/class/hwmon/hwmon3/in1_input", f"{NODE}/sys/class/hwmon/hwmon0/temp1_label",
                  f"{NODE}/sys/class/hwmon/hwmon3/name", f"{NODE}/sys/class/hwmon/hwmon1/temp1_crit_alarm"],
    "FuzzRKNPU": [f"{VENDOR}/sys/kernel/debug/rknpu/load", f"{VENDOR61}/sys/kernel/debug/rknpu/load"],
    "FuzzPowerSupply": [f"{NODE}/sys/class/power_supply/BAT0/model_name", f"{NODE}/sys/class/power_supply/BAT0/status",
                        f"{NODE}/sys/class/power_supply/BAT0/energy_now", f"{NODE}/sys/class/power_supply/AC/online",
                        f"{MAINLINE}/sys/class/power_supply/*/usb_type",
                        f"{MAINLINE}/sys/class/power_supply/*/voltage_now"],
    "FuzzPCI": [f"{MAINLINE}/sys/bus/pci/devices/0000:00:00.0/aer_dev_correctable",
                f"{MAINLINE}/sys/bus/pci/devices/0000:00:00.0/current_link_speed",
                f"{MAINLINE}/sys/bus/pci/devices/0000:00:00.0/current_link_width",
                f"{MAINLINE}/sys/bus/pci/devices/0000:00:00.0/class"],
    "FuzzDeviceTree": [f"{MAINLINE}/sys/firmware/devicetree/base/cpus/cpu@0/operating-points-v2",
                       f"{MAINLINE}/sys/firmware/devicetree/base/cpus/cpu@0/dynamic-power-coefficient",
                       f"{MAINLINE}/sys/firmware/devicetree/base/opp-table-cluster0/phandle",
                       f"{MAINLINE}/sys/firmware/devicetree/base/opp-table-cluster0/opp-1008000000/opp-hz",
                       f"{MAINLINE}/sys/firmware/devicetree/base/opp-table-cluster0/opp-1008000000/opp-microvolt"],
    "FuzzCollectors": [f"{MAINLINE}/sys/class/thermal/thermal_zone0/temp",
                       f"{MAINLINE}/sys/class/thermal/thermal_zone0/type",
                       f"{MAINLINE}/sys/class/thermal/cooling_device0/cur_state",
                       f"{MAINLINE}/sys/class/regulator/regulator.1/microvolts",
                       f"{MAINLINE}/sys/class/regulator/regulator.1/state",
                       f"{NODE}/sys/class/powercap/intel-rapl:0/energy_uj",
                       f"{NODE}/sys/class/net/eth0/speed", f"{NODE}/sys/class/net/eth0/operstate",
                       f"{NODE}/sys/class/net/bond0/bonding/slaves",
                       f"{MAINLINE}/sys/bus/mmc/devices/mmc0:0001/life_time",
                       f"{MAINLINE}/sys/kernel/debug/mmc0/err_stats",
                       f"{MAINLINE}/sys/devices/system/cpu/cpufreq/policy0/stats/time_in_state",
                       f"{MAINLINE}/sys/class/nvme/nvme0/model"],
}

# Extra `PATH\nCONTENT` seeds for files a collector reads that the fixtures do not have.
EXTRA_COLLECTOR_SEEDS = {
    "FuzzDevfreq": [f"{VENDOR}/sys/class/devfreq/fb000000.gpu/load\n42@300000000Hz\n".encode()],
}

# Target → fixture globs whose bytes are seeds as they are.
RAW_SEEDS = {
    "FuzzSysfsValues": [f"{MAINLINE}/sys/class/thermal/thermal_zone0/temp",
                        f"{MAINLINE}/sys/devices/system/cpu/cpufreq/policy0/scaling_available_frequencies",
                        f"{MAINLINE}/sys/devices/system/cpu/cpufreq/policy0/scaling_available_governors",
                        f"{MAINLINE}/sys/bus/pci/devices/0000:00:00.0/current_link_speed",
                        f"{MAINLINE}/sys/bus/pci/devices/0000:00:00.0/current_link_width",
                        f"{MAINLINE}/sys/bus/mmc/devices/mmc0:0001/life_time",
                        f"{MAINLINE}/sys/bus/mmc/devices/mmc0:0001/pre_eol_info",
                        f"{MAINLINE}/sys/kernel/debug/mmc0/err_stats",
                        f"{NODE}/sys/class/power_supply/BAT0/model_name"],
    "FuzzProcStat": [f"{MAINLINE}/proc/stat", f"{NODE}/proc/stat"],
    "FuzzNetDev": [f"{MAINLINE}/proc/net/dev", f"{NODE}/proc/net/dev"],
    "FuzzMountInfo": [f"{MAINLINE}/proc/1/mountinfo"],
    "FuzzNVMeSmart": ["nvme/*.bin"],
}

# Targets whose inputs are not fixture files: literal seeds.
LITERAL_SEEDS = {
    "FuzzWebConfig": [
        b"---\n# comment\ntls_server_config:\n  cert_file: server.crt   # relative to the file\n"
        b"  key_file: \"/keys/server.key\"\n  client_auth_type: RequireAndVerifyClientCert\n"
        b"  client_ca_file: 'ca.crt'\n  client_allowed_sans:\n    - scraper.example\n    - \"10.0.0.2\"\n"
        b"  min_version: TLS13\n  cipher_suites:\n    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"
        b"  prefer_server_cipher_suites: false\n  curve_preferences: [X25519, CurveP256]\n"
        b"http_server_config:\n  http2: false\n  headers:\n    X-Frame-Options: deny\n"
        b"basic_auth_users:\n  alice: $2y$10$0123456789012345678901uJ0zPXWEgC7VtQ9ONpoTTHdYwKnBNuW\n"
        b"rate_limit:\n  interval: 1s\n  burst: 10\n",
        b"tls_server_config:\n  cert: |\n    -----BEGIN CERTIFICATE-----\n    MIIB\n    -----END CERTIFICATE-----\n"
        b"  key_file: a.key\nbasic_auth_users: {}\n",
        b"Basic YWxpY2U6c2VjcmV0",
    ],
    "FuzzProcessStatus": [
        b"Name:\tember\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t65534\t65534\t65534\t65534\n"
        b"Gid:\t65534\t65534\t65534\t65534\nGroups:\t44 65534 \nVmRSS:\t    5120 kB\n"
        b"CapInh:\t0000000000000000\nCapPrm:\t0000000000200000\nCapEff:\t0000000000200000\n",
        b"Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\nCapEff:\t000001ffffffffff\n",
    ],
    "FuzzQuery": [
        b"series=node_thermal_zone_temp%7Btype%3D%22soc-thermal%22%2Czone%3D%220%22%7D",
        b"series=node_thermal_zone_temp{type=\"soc-thermal\",zone=\"0\"}&tier=minute&from=2026-12-04T21:00:00Z",
        b"series=ember_cpu_energy_joules_total%7Bcluster%3D%22big0%22%7D&tier=raw&from=1796418000&to=1796418600.5",
        b"series=x&tier=hour&from=2026-12-04T22:00:00.250%2B01:00&to=2026-12-04T21:30:00z",
        b"series=a%zz&to=9999-12-31T23:59:59Z",
    ],
    "FuzzHTTPRequest": [
        b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9101\r\nAccept: application/openmetrics-text;version=1.0.0,"
        b"text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\nAccept-Encoding: gzip\r\n\r\n",
        b"GET /api/v1/query?series=node_thermal_zone_temp%7Btype%3D%22soc-thermal%22%2Czone%3D%220%22%7D&tier=minute"
        b" HTTP/1.1\r\nHost: localhost\r\n\r\n"
        b"GET /api/v1/series HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        b"HEAD /api/v1/snapshot HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        b"POST /api/v1/series HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
        b"GET http://127.0.0.1:9101/api/v1/query?series=x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
    ],
}


def seed_name(content):
    return hashlib.sha1(content).hexdigest()


def fixture_files(patterns):
    files = []
    for pattern in patterns:
        matches = sorted(glob.glob(os.path.join(FIXTURES, pattern)))
        if not matches:
            sys.exit(f"make-corpus: no fixture file matches {pattern}")
        files += [path for path in matches if os.path.isfile(path)]
    return files


def write_corpus(target, seeds):
    directory = os.path.join(CORPUS, target)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    for content in seeds:
        with open(os.path.join(directory, seed_name(content)), "wb") as file:
            file.write(content)
    total = sum(len(seed) for seed in seeds)
    print(f"{target}: {len(seeds)} seeds, {total} bytes")


def main():
    for target, patterns in COLLECTOR_SEEDS.items():
        seeds = []
        for path in fixture_files(patterns):
            relative = os.path.relpath(path, FIXTURES).encode()
            with open(path, "rb") as file:
                seeds.append(relative + b"\n" + file.read(MAX_SEED_BYTES))
        write_corpus(target, seeds + EXTRA_COLLECTOR_SEEDS.get(target, []))

    for target, patterns in RAW_SEEDS.items():
        seeds = []
        for path in fixture_files(patterns):
            with open(path, "rb") as file:
                seeds.append(file.read(MAX_SEED_BYTES))
        write_corpus(target, seeds)

    for target, seeds in LITERAL_SEEDS.items():
        write_corpus(target, seeds)

    write_state_file_seeds()


def write_state_file_seeds():
    binary = os.path.join(ROOT, "Fuzzing", ".build", "release", "FuzzStateFile")
    directory = os.path.join(CORPUS, "FuzzStateFile")
    if not os.access(binary, os.X_OK):
        print(f"FuzzStateFile: seeds left as they are, because {binary} is not built")
        return
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    # The seed writer exits from top-level code while its history is alive, which LeakSanitizer would report.
    environment = dict(os.environ, EMBER_FUZZ_WRITE_SEEDS=directory, SWIFT_BACKTRACE="enable=no",
                       SWIFT_DETERMINISTIC_HASHING="1",
                       ASAN_OPTIONS="detect_leaks=0")
    subprocess.run([binary], env=environment, check=True)
    sizes = [os.path.getsize(os.path.join(directory, name)) for name in os.listdir(directory)]
    print(f"FuzzStateFile: {len(sizes)} seeds, {sum(sizes)} bytes")


if __name__ == "__main__":
    main()
