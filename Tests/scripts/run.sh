#!/usr/bin/env bash
# Builds the release binary (Swift standard library linked statically) and runs `ember serve`.
#
#   bash Tests/scripts/run.sh [ember serve flags]
#   bash Tests/scripts/run.sh --fixture opi5plus-mainline [flags]   # serve a bundled RK3588 tree
#
# --fixture NAME reads Tests/Fixtures/rk3588/NAME (opi5plus-v5.10, opi5plus-v6.1, opi5plus-mainline)
# or Tests/Fixtures/node-exporter instead of this machine's /sys and /proc, and saves state in a new
# temporary directory unless --storage.path or --no-storage is given.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash Tests/scripts/setup.sh --build-only
swift build -c release --static-swift-stdlib -Xswiftc -Osize --product ember >&2

arguments=()
while (($#)); do
    case "$1" in
        --fixture)
            name=${2:?--fixture needs a name}
            shift 2
            if [[ -d "Tests/Fixtures/rk3588/$name" ]]; then
                root="Tests/Fixtures/rk3588/$name"
            elif [[ -d "Tests/Fixtures/$name" ]]; then
                root="Tests/Fixtures/$name"
            else
                names=(Tests/Fixtures/rk3588/*/sys Tests/Fixtures/node-exporter/sys)
                names=("${names[@]%/sys}")
                echo "run.sh: no fixture named $name; use one of: ${names[*]##*/}" >&2
                exit 2
            fi
            # debugfs and devfs follow --path.sysfs, so the fixture's own (absent) device nodes are used.
            arguments+=("--path.sysfs=$root/sys" "--path.procfs=$root/proc")
            fixture=1
            ;;
        --storage.path* | --no-storage)
            storage_given=1
            arguments+=("$1")
            shift
            ;;
        *)
            arguments+=("$1")
            shift
            ;;
    esac
done

# A fixture's history is not this machine's: keep it in a temporary directory, not /var/lib/ember,
# unless a storage flag was given.
if [[ -n "${fixture:-}" && -z "${storage_given:-}" ]]; then
    state=$(mktemp -d "${TMPDIR:-/tmp}/ember-fixture-state.XXXXXX")
    echo "run.sh: fixture state in $state" >&2
    arguments+=("--storage.path=$state")
fi

exec .build/release/ember serve "${arguments[@]}"
