/// A token bucket: a burst of `capacity`, then one token per `interval` nanoseconds, as Go's
/// `rate.NewLimiter(rate.Every(interval), capacity)` allows.
struct TokenBucket {
    let capacity: Int
    let interval: UInt64

    private var tokens: Int
    private var refilledAt: UInt64

    init(capacity: Int, interval: UInt64, now: UInt64) {
        self.capacity = capacity
        self.interval = interval
        tokens = capacity
        refilledAt = now
    }

    /// Takes one token if there is one, after adding those earned since the last refill.
    mutating func spend(now: UInt64) -> Bool {
        let earned = Int(min((now &- refilledAt) / interval, UInt64(capacity)))
        if earned > 0 {
            tokens = min(capacity, tokens + earned)
            refilledAt = tokens == capacity ? now : refilledAt + UInt64(earned) * interval
        }
        guard tokens > 0 else { return false }
        tokens -= 1
        return true
    }
}
