import Synchronization

/// The text body of one snapshot, rendered when the snapshot is published or at the first request
/// for it.
///
/// Prometheus scrapes once a minute by default (every 15 s in its example configuration) while the
/// agent samples every second, and it requests OpenMetrics, which is encoded from the plan, not from
/// this text. Rendering the text at every publish then cost about 130 000 instructions a sample for
/// nothing (callgrind, node_exporter's test tree). While scrapers request the text of every snapshot,
/// rendering it at publish keeps the work off the scrape.
final class ExpositionText: Sendable {
    /// The way a deferred text is made.
    enum Source: Sendable {
        /// Patched from `base`, the rendering of `baseValues` with the same entries as the plan.
        case patch(base: RenderedText, baseValues: [Double])
        /// Encoded from the plan alone.
        case encode
    }

    private enum State: Sendable {
        case rendered(RenderedText)
        case deferred(Source)
    }

    private let plan: ExpositionPlan
    private let capacity: Int
    private let state: Mutex<State>
    private let requested = Atomic<Bool>(false)

    /// Creates the text of `plan`, rendered now when `renderNow` is true and otherwise at the first
    /// request. `capacity` is the number of bytes to reserve for it.
    init(plan: ExpositionPlan, source: Source, capacity: Int, renderNow: Bool) {
        self.plan = plan
        self.capacity = capacity
        let initial = renderNow ? State.rendered(Self.render(plan, from: source, capacity: capacity)) : .deferred(source)
        state = Mutex(initial)
    }

    /// The rendered text, rendered now if it was deferred. Concurrent callers take turns.
    var rendered: RenderedText {
        requested.store(true, ordering: .relaxed)
        return state.withLock { state in
            switch state {
            case .rendered(let text):
                return text
            case .deferred(let source):
                let text = Self.render(plan, from: source, capacity: capacity)
                state = .rendered(text)
                return text
            }
        }
    }

    /// Whether the text is rendered, for tests. Reading it does not count as a request.
    var isRendered: Bool {
        state.withLock { state in
            if case .rendered = state { true } else { false }
        }
    }

    /// Whether a scrape requested this text.
    var wasRequested: Bool {
        requested.load(ordering: .relaxed)
    }

    /// Returns how the next snapshot's text is made when its plan has the same entries as this one:
    /// patched from this text if it was rendered, and otherwise the way this one would have been.
    var sourceForNext: Source {
        state.withLock { state in
            switch state {
            case .rendered(let text): .patch(base: text, baseValues: plan.values)
            case .deferred(let source): source
            }
        }
    }

    /// The size of the rendered text in bytes, or while it is deferred, the size of the text it is
    /// to be patched from or the capacity reserved for it.
    var sizeEstimate: Int {
        state.withLock { state in
            switch state {
            case .rendered(let text): text.bytes.count
            case .deferred(.patch(let base, _)): base.bytes.count
            case .deferred(.encode): capacity
            }
        }
    }

    private static func render(_ plan: ExpositionPlan, from source: Source, capacity: Int) -> RenderedText {
        switch source {
        case .patch(let base, let baseValues):
            base.patched(to: plan, previousValues: baseValues, capacity: capacity)
        case .encode:
            RenderedText(encoding: plan, capacity: capacity)
        }
    }
}
