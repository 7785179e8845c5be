// The history state file: decoding, then loading it into a history and reading every bucket back,
// which decodes each compressed chunk, then encoding it again.
//
// A mutated file passes the length and CRC-32 checks only by chance. So an input that does not start
// with the file's magic is taken as the payload alone and gets a valid header, and the fuzzer reaches
// the payload and chunk decoders. With EMBER_FUZZ_WRITE_SEEDS=DIR set, the target writes a state
// file of a small history, its payload and the same history as a version 2 file into DIR as seeds
// and exits.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore
@testable import EmberHistory
import FuzzSupport

let magic = Array("EMBERST".utf8)

/// Writes `bytes` to `path`, or exits with a message.
func write(_ bytes: [UInt8], to path: String) {
    guard let file = fopen(path, "wb"), fwrite(bytes, 1, bytes.count, file) == bytes.count, fclose(file) == 0 else {
        print("FuzzStateFile: failed to write \(path): \(Errno.message(of: errno))")
        exit(1)
    }
}

if let directory = getenv("EMBER_FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) {
    let history = SampleHistory.makeHistory()
    let counter = SavedCounter(total: 9, raw: 3, bootID: "b")
    let state = PersistedState(machineID: "fuzz-machine", bootID: "fuzz-boot",
                               savedAtSeconds: SampleHistory.startSeconds,
                               counters: ["ember_cpu_energy_joules_total\u{1}big0": counter],
                               families: history.persistedFamilies, tiers: history.persistedTiers)
    let file = StateFileFormat.encode(state)
    write(file, to: directory + "/state-file")
    write(Array(file.dropFirst(24)), to: directory + "/state-payload")
    // A version 2 file has no hour-max tier, and its version byte makes the decoder derive one.
    var versionTwo = state
    versionTwo.tiers.removeAll { $0.name == History.hourMaximumTierName }
    var versionTwoFile = StateFileFormat.encode(versionTwo)
    versionTwoFile[8] = 2
    write(versionTwoFile, to: directory + "/state-file-v2")
    exit(0)
}

runFuzzer { input in
    let file = input.starts(with: magic) ? input : StateFileFormat.wrap(payload: input)
    guard let state = try? StateFileFormat.decode(file) else { return }

    let history = History(HistoryConfiguration())
    history.restore(state.families)
    _ = history.restore(state.tiers)
    for tier in [history.minute, history.hour, history.hourMaximum] {
        for key in tier.seriesKeys {
            try? tier.forEachBucket(of: key, in: Int64.min...Int64.max, includeOpen: true) { _, _ in }
        }
    }
    _ = history.seriesSummaries()
    _ = StateFileFormat.encode(PersistedState(machineID: state.machineID, bootID: state.bootID,
                                              savedAtSeconds: state.savedAtSeconds, counters: state.counters,
                                              families: history.persistedFamilies, tiers: history.persistedTiers))
}
