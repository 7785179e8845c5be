#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Dispatch
import CEmberShims
import Synchronization

/// The process's one watchdog thread: it interrupts a reader whose guarded `open` or `read` has
/// been armed longer than its ``ReadGuard`` timeout.
///
/// The interrupt is a signal whose handler does nothing and is installed without SA_RESTART. A
/// call blocked in an interruptible sleep (a FIFO with no writer, a driver waiting on a device) so
/// returns EINTR, and the reader tells it apart from other signals by the guard's state.
///
/// NOTE: a call stuck in an uninterruptible sleep (state D) ignores signals. The sampler's
/// collector-level skip still covers that case: it stops waiting for the collector at the sample
/// deadline and skips it until the call returns.
///
/// The thread sleeps without a timer while no read is armed, and ticks at an eighth of the
/// shortest timeout otherwise, so a read is interrupted between 1 and 1.25 timeouts after the
/// watchdog first finds it armed (plus scheduling delay). Until the reader returns, the signal is sent
/// again once per timeout, because a signal that arrives just before the reader enters its next
/// blocking call interrupts nothing.
///
/// A reader that arms a guard wakes the sleeping thread, except while a sample cycle waits for its
/// collectors (``supervising(_:)``). The cycle's thread then wakes it when the collectors have not
/// returned after a stall interval, and when it stops waiting with a read still armed. So a cycle
/// whose reads all return within the stall interval costs the watchdog no wake-up. Waking it for
/// the first read of every cycle, and its tick after that, took about 4 % of the agent's CPU at
/// one sample a second (perf, node_exporter's test tree).
final class ReadWatchdog: @unchecked Sendable {
    static let shared = ReadWatchdog()

    /// SIGURG, a standard signal: a second one sent before the first is handled is merged with it,
    /// where real-time signals would queue up while a call sits in an uninterruptible sleep. Its
    /// default action is to ignore it, and the kernel raises it only for out-of-band socket data
    /// to a process that asked for it with F_SETOWN, which the agent does not. Go's runtime picked
    /// it to preempt goroutines for similar reasons (`runtime/signal_unix.go`, Go 1.14 and later).
    static let interruptSignal: Int32 = SIGURG

    private let guards = Mutex<[ObjectIdentifier: ReadGuard]>([:])
    private let sleeping = Atomic<Bool>(false)
    /// The number of sample cycles now inside ``supervising(_:)``.
    private let supervisors = Atomic<Int>(0)
    private let wakeup = DispatchSemaphore(value: 0)
    private let unblockedKey = ReadWatchdog.makeUnblockedKey()

    private init() {
        ReadWatchdog.installHandler()
        startThread()
    }

    func register(_ readGuard: ReadGuard) {
        guards.withLock { $0[ObjectIdentifier(readGuard)] = readGuard }
    }

    func unregister(_ readGuard: ReadGuard) {
        _ = guards.withLock { $0.removeValue(forKey: ObjectIdentifier(readGuard)) }
    }

    /// The number of registered guards, for tests.
    var guardCount: Int {
        guards.withLock { $0.count }
    }

    /// Wakes the thread when it sleeps without a timer and no cycle supervises the readers. Called
    /// after a guard is armed: either the reader finds `sleeping` set or the watchdog's last scan
    /// before sleeping finds the armed guard, because both sides use sequentially consistent
    /// operations.
    ///
    /// A reader that sees a supervisor leaves the wake-up to it. The supervisor counts down after
    /// the reader's load, and then checks the guards, so it finds the reader's armed state.
    func wakeIfSleeping() {
        guard supervisors.load(ordering: .sequentiallyConsistent) == 0 else { return }
        wake()
    }

    /// Runs `body`, a sample cycle's wait for its collectors, while arming readers leave the
    /// watchdog asleep. `body` must call the closure it gets after each stall interval in which its
    /// collectors have not all returned. The closure wakes the watchdog when a read is armed, and
    /// so does the return of `body`.
    func supervising<Result>(_ body: (_ wakeIfArmed: () -> Void) throws -> Result) rethrows -> Result {
        supervisors.wrappingAdd(1, ordering: .sequentiallyConsistent)
        defer {
            supervisors.wrappingSubtract(1, ordering: .sequentiallyConsistent)
            wakeIfArmed()
        }
        return try body { self.wakeIfArmed() }
    }

    private func wakeIfArmed() {
        let armed = guards.withLock { guards in
            guards.values.contains { $0.state.load(ordering: .sequentiallyConsistent) != 0 }
        }
        if armed {
            wake()
        }
    }

    private func wake() {
        guard sleeping.load(ordering: .sequentiallyConsistent) else { return }

        if sleeping.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent).exchanged {
            wakeup.signal()
        }
    }

    private func startThread() {
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { _ in
            ReadWatchdog.nameCurrentThread()
            ReadWatchdog.shared.run()
            return nil
        }, nil)
        precondition(result == 0, "failed to start the read watchdog thread: errno \(result)")
        pthread_detach(thread)
    }

    /// Names the thread `read-watchdog` for `top -H` and `/proc/PID/task/TID/comm`. A failure only
    /// leaves the thread unnamed.
    private static func nameCurrentThread() {
        _ = ember_set_thread_name("read-watchdog")
    }

    private func run() {
        while true {
            if let tick = scan() {
                ReadWatchdog.sleep(nanoseconds: tick)
                continue
            }

            sleeping.store(true, ordering: .sequentiallyConsistent)
            if scan() != nil {
                // A reader armed before it could see the flag. If it also cleared the flag, it
                // signalled the semaphore, which is consumed here.
                if !sleeping.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent)
                    .exchanged
                {
                    wakeup.wait()
                }
                continue
            }
            wakeup.wait()
        }
    }

    /// Checks every guard and interrupts the overdue ones.
    /// - Returns: the time to the next tick in nanoseconds, or nil when no read is armed.
    private func scan() -> UInt64? {
        let now = SystemClock().monotonicNanoseconds()
        return guards.withLock { guards -> UInt64? in
            var tick: UInt64?
            for readGuard in guards.values {
                guard let candidate = check(readGuard, now: now) else { continue }
                tick = min(tick ?? candidate, candidate)
            }
            return tick
        }
    }

    /// Interrupts the guard's reader when the same read has been armed for its whole timeout, and
    /// again once per timeout while it has not returned.
    /// - Returns: nanoseconds until this guard needs another look, or nil while no read is armed.
    ///   A fired guard needs one per timeout, an armed one an eighth of that.
    private func check(_ readGuard: ReadGuard, now: UInt64) -> UInt64? {
        let value = readGuard.state.load(ordering: .sequentiallyConsistent)
        if value == 0 {
            readGuard.observedGeneration = 0
            return nil
        }
        if value != readGuard.observedGeneration {
            readGuard.observedGeneration = value
            readGuard.observedSinceNanoseconds = now
        } else if now - readGuard.observedSinceNanoseconds >= readGuard.timeoutNanoseconds,
            interrupt(readGuard, value)
        {
            readGuard.observedGeneration = ReadGuard.fired
            readGuard.observedSinceNanoseconds = now
        }
        let timeout = max(readGuard.timeoutNanoseconds, 8_000_000)
        return readGuard.observedGeneration == ReadGuard.fired ? timeout : timeout / 8
    }

    /// Signals the guard's reader unless the state left `expected` since it was loaded: the read
    /// finished, or the reader took back a fired guard.
    private func interrupt(_ readGuard: ReadGuard, _ expected: UInt64) -> Bool {
        let claimed = readGuard.state.compareExchange(
            expected: expected, desired: ReadGuard.firing, ordering: .sequentiallyConsistent)
        guard claimed.exchanged else { return false }

        pthread_kill(pthread_t(readGuard.thread.load(ordering: .acquiring)), ReadWatchdog.interruptSignal)
        readGuard.state.store(ReadGuard.fired, ordering: .releasing)
        return true
    }

    private static func sleep(nanoseconds: UInt64) {
        let target = SystemClock().monotonicNanoseconds() + nanoseconds
        var spec = timespec(tv_sec: Int(target / 1_000_000_000), tv_nsec: Int(target % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &spec, nil) == EINTR {}
    }

    /// Installs the do-nothing handler, without SA_RESTART so blocked calls return EINTR.
    private static func installHandler() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        let result = sigaction(interruptSignal, &action, nil)
        precondition(result == 0, "failed to install the read deadline signal handler: errno \(errno)")
    }

    /// Unblocks the interrupt signal in the calling thread, once per thread. Dispatch worker
    /// threads start with almost every signal blocked, and a blocked signal would never interrupt
    /// the read.
    ///
    /// An instance method with the key in a `let`, because it runs at every guarded read, and the
    /// static version's lazy key and metatype cost about 20 instructions more (callgrind).
    func unblockInterruptInCurrentThread() {
        guard pthread_getspecific(unblockedKey) == nil else { return }

        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, ReadWatchdog.interruptSignal)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        pthread_setspecific(unblockedKey, UnsafeRawPointer(bitPattern: 1))
    }

    /// Creates the thread-specific flag that is non-nil once a thread has the signal unblocked.
    private static func makeUnblockedKey() -> pthread_key_t {
        var key = pthread_key_t()
        let result = pthread_key_create(&key, nil)
        precondition(result == 0, "failed to create the read deadline thread key: errno \(result)")
        return key
    }
}
