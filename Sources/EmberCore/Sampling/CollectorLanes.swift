import Dispatch
import Synchronization

/// Runs a cycle's collectors on a few threads, the lanes, each taking the next collector that
/// has not started.
///
/// With a queue of its own per collector, libdispatch started a thread for nearly every collector,
/// because a cycle starts them all at once. It kept about 20 threads for 25 collectors on the
/// RK3588 fixture, with 0.8 MiB of stacks and malloc caches (BENCHMARKS.md). One lane keeps up
/// with a cycle of file reads, a few milliseconds. A read can block until the read deadline
/// interrupts it, and an NVMe command for seconds. So while collectors wait to start, the cycle adds
/// a lane every ``stallNanoseconds``, and a stuck collector delays the others by that much at most.
final class CollectorLanes: Sendable {
    /// Lanes a cycle starts with. Each lane is a thread woken for the cycle, and a wake-up on an
    /// idle core costs CPU. Starting with two lanes instead of one cost 2 to 4 % more CPU at one
    /// sample a second (node_exporter's test tree, two agents side by side).
    static let initialLanes = 1
    /// How long collectors may wait behind busy lanes before another lane starts.
    static let stallNanoseconds: UInt64 = 50_000_000

    /// Runs `workers`, each already claimed, and waits until all have returned or the uptime
    /// `deadlineNanoseconds` has passed.
    func run(_ workers: [CollectorWorker], cycle: UInt64, deadlineNanoseconds: UInt64) {
        guard !workers.isEmpty else { return }
        let waiting = WaitingRuns(workers)
        let group = DispatchGroup()
        for _ in workers {
            group.enter()
        }

        // Supervision starts before the first lane. A lane that armed a read before it started
        // would wake the watchdog, which then ticks until the read returns: in about half the
        // cycles at one sample a second (strace, node_exporter's test tree).
        ReadWatchdog.shared.supervising { wakeWatchdogIfArmed in
            var lanes = 0
            repeat {
                startLane(waiting, cycle: cycle, group: group)
                lanes += 1
            } while lanes < min(CollectorLanes.initialLanes, workers.count)

            wait(for: group, waiting, lanes: lanes, workers: workers, cycle: cycle,
                 deadlineNanoseconds: deadlineNanoseconds, stalled: wakeWatchdogIfArmed)
        }
    }

    /// Waits for the lanes until every collector returned or the deadline passed, and starts a lane
    /// whenever collectors waited ``stallNanoseconds`` without one. Calls `stalled` at each such
    /// check, so that the read watchdog looks at reads that have been blocked that long.
    private func wait(
        for group: DispatchGroup, _ waiting: WaitingRuns, lanes initialLanes: Int, workers: [CollectorWorker],
        cycle: UInt64, deadlineNanoseconds: UInt64, stalled: () -> Void
    ) {
        var lanes = initialLanes
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadlineNanoseconds else {
                // Collectors that no lane took by the deadline did not run, so they are free for the
                // next cycle rather than left to a lane that may stay stuck.
                for worker in waiting.takeRest() {
                    worker.unclaim()
                    group.leave()
                }
                return
            }
            let wake = DispatchTime(uptimeNanoseconds: min(deadlineNanoseconds, now + CollectorLanes.stallNanoseconds))
            if group.wait(timeout: wake) == .success { return }
            stalled()
            // The deadline is handled at the top of the loop: a lane started now would take a
            // collector that the cycle no longer waits for.
            if waiting.any, lanes < workers.count, DispatchTime.now().uptimeNanoseconds < deadlineNanoseconds {
                startLane(waiting, cycle: cycle, group: group)
                lanes += 1
            }
        }
    }

    /// Starts a lane on a serial queue of its own, which runs on libdispatch's overcommitting pool.
    /// That pool starts a thread whenever no idle one exists, and ends threads idle for a few
    /// seconds. A concurrent queue's pool adds a thread for blocked ones only about once a second.
    private func startLane(_ waiting: WaitingRuns, cycle: UInt64, group: DispatchGroup) {
        DispatchQueue(label: "ember.collector-lane").async {
            while let worker = waiting.next() {
                worker.run(cycle: cycle)
                group.leave()
            }
        }
    }
}

/// The collectors of one cycle that no lane has taken yet, in output order.
private final class WaitingRuns: Sendable {
    private let workers: [CollectorWorker]
    private let nextIndex = Atomic<Int>(0)

    init(_ workers: [CollectorWorker]) {
        self.workers = workers
    }

    /// Takes the next collector, or returns nil when every one has been taken.
    func next() -> CollectorWorker? {
        let index = nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue
        return index < workers.count ? workers[index] : nil
    }

    /// Takes every collector that is still waiting, so that no lane starts them.
    func takeRest() -> ArraySlice<CollectorWorker> {
        let first = nextIndex.exchange(workers.count, ordering: .relaxed)
        return workers[min(first, workers.count)...]
    }

    /// Whether a collector is still waiting for a lane.
    var any: Bool {
        nextIndex.load(ordering: .relaxed) < workers.count
    }
}
