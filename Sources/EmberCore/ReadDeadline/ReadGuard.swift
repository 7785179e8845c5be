#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// The reader's side of the per-read deadline: one per ``SystemFileSystem``, used by the one thread
/// that reads through it at a time, and watched by ``ReadWatchdog``.
///
/// The normal path costs one store to arm, one load to check whether the watchdog sleeps, and one
/// compare-and-swap to disarm. It needs no clock read and no thread hop, because the watchdog
/// measures on its own clock how long a read stays armed.
final class ReadGuard: @unchecked Sendable {
    /// `state` while the watchdog is sending the interrupt signal.
    static let firing = UInt64.max
    /// `state` after the watchdog sent the signal.
    static let fired = UInt64.max - 1

    let timeoutNanoseconds: UInt64
    let timeoutSeconds: Double
    /// 0 while idle, the read's generation while a read is armed, or ``firing`` / ``fired``.
    let state = Atomic<UInt64>(0)
    /// The `pthread_t` of the armed reader, stored before `state` so the watchdog sees it.
    let thread = Atomic<UInt>(0)

    /// The generation of the last armed read, written only by the reading thread. It is an atomic
    /// in a `let`, because a stored `var` cost a `swift_beginAccess` pair, about 90 instructions,
    /// at every arm and disarm (callgrind).
    private let generation = Atomic<UInt64>(0)
    private let watchdog = ReadWatchdog.shared

    /// Owned by the watchdog thread: the armed generation it last saw, and when it first saw it.
    var observedGeneration: UInt64 = 0
    var observedSinceNanoseconds: UInt64 = 0

    /// Creates a guard and registers it with the watchdog, which keeps it until ``unregister()``.
    init(timeoutSeconds: Double) {
        self.timeoutSeconds = timeoutSeconds
        self.timeoutNanoseconds = UInt64(timeoutSeconds * 1e9)
        watchdog.register(self)
    }

    /// Stops the watchdog from watching this guard; called by the owner when it goes away.
    func unregister() {
        watchdog.unregister(self)
    }

    /// Marks the calling thread as inside a guarded open or read.
    func arm() {
        watchdog.unblockInterruptInCurrentThread()
        let current = UInt(pthread_self())
        if thread.load(ordering: .relaxed) != current {
            thread.store(current, ordering: .relaxed)
        }

        let armed = generation.load(ordering: .relaxed) &+ 1
        generation.store(armed, ordering: .relaxed)
        state.store(armed, ordering: .sequentiallyConsistent)
        watchdog.wakeIfSleeping()
    }

    /// Whether the watchdog has interrupted, or is about to interrupt, the armed read. An EINTR
    /// with this false came from another signal and the call is retried.
    var hasFired: Bool {
        state.load(ordering: .sequentiallyConsistent) >= ReadGuard.fired
    }

    /// Ends the guarded section. After the watchdog fired, this takes the guard back from it and
    /// waits until its signal has been handled on this thread, so the signal cannot interrupt a
    /// later, unrelated system call.
    func disarm() {
        let armed = generation.load(ordering: .relaxed)
        if state.compareExchange(expected: armed, desired: 0, ordering: .sequentiallyConsistent).exchanged {
            return
        }
        // The watchdog re-sends while the state is `fired`, so the guard is idle only once this
        // thread has moved it from `fired` to 0, never while a signal is on its way.
        while !state.compareExchange(expected: ReadGuard.fired, desired: 0, ordering: .sequentiallyConsistent)
            .exchanged
        {
            sched_yield()
        }
        // Every signal sent is pending on this thread by now. The kernel runs pending handlers on
        // the way back from any system call, so they are handled inside this one.
        sched_yield()
    }
}
