import EmberCore

/// Exports `class/devfreq`: the frequency, limits, governor, load and frequency residency of
/// each device whose clock the kernel scales (on RK3588 the GPU, the NPU and the memory controller).
///
/// The `device` label is the class entry name, which the kernel sets to the parent device's name
/// (`fb000000.gpu`, `dmc`).
public final class DevfreqCollector: Collector {
    static let frequency = MetricDescriptor(
        "ember_devfreq_frequency_hertz", "Current frequency of the devfreq device (cur_freq), in hertz.",
        labels: ["device"], windowUnit: "hertz")
    static let targetFrequency = MetricDescriptor(
        "ember_devfreq_target_frequency_hertz", "Frequency the devfreq governor last requested, in hertz.",
        labels: ["device"])
    static let minimumFrequency = MetricDescriptor(
        "ember_devfreq_min_frequency_hertz", "Lowest frequency the governor may set, in hertz.", labels: ["device"])
    static let maximumFrequency = MetricDescriptor(
        "ember_devfreq_max_frequency_hertz", "Highest frequency the governor may set, in hertz.", labels: ["device"])
    static let governor = MetricDescriptor(
        "ember_devfreq_governor_info", "Governor of the devfreq device; value 1.", labels: ["device", "governor"])
    static let load = MetricDescriptor(
        "ember_devfreq_load_ratio", "Busy time over total time in the governor's last polling window, 0-1.",
        labels: ["device"])
    static let loadFrequency = MetricDescriptor(
        "ember_devfreq_load_frequency_hertz", "Frequency at which ember_devfreq_load_ratio was measured, in hertz.",
        labels: ["device"])
    static let timeInState = MetricDescriptor(
        "ember_devfreq_time_in_state_seconds_total", "Time the devfreq device spent at each frequency, in seconds.",
        type: .counter, labels: ["device", "frequency_hertz"])
    static let transitions = MetricDescriptor(
        "ember_devfreq_transitions_total", "Frequency changes of the devfreq device.", type: .counter,
        labels: ["device"])

    private let reader: SourceReader
    private let logger: Logger
    private var absence: AbsenceLog
    /// Paths of `trans_stat` files that read `Not Supported.` or were empty, logged once each.
    private var unsupportedStats: Set<String> = []

    public init(context: CollectorContext) {
        reader = context.reader
        logger = context.logger
        absence = AbsenceLog(logger: context.logger)
    }

    public func update(into sink: inout MetricSink) throws {
        let classPath = reader.roots.sys("class/devfreq")
        for device in try SysfsClass.listDevices(classPath, reader: reader, sink: &sink, absence: &absence) {
            let reading = DevfreqReading.read(classPath + "/" + device, reader: reader, into: &sink)
            add(reading, into: &sink)
            if reading.hasNoTransitionStats {
                noteUnsupported(classPath + "/" + device + "/trans_stat")
            }
        }
    }

    private func add(_ reading: DevfreqReading, into sink: inout MetricSink) {
        let device = reading.device
        let frequencies: [(UInt64?, MetricDescriptor)] = [
            (reading.frequencyHertz, Self.frequency),
            (reading.targetFrequencyHertz, Self.targetFrequency),
            (reading.minimumFrequencyHertz, Self.minimumFrequency),
            (reading.maximumFrequencyHertz, Self.maximumFrequency),
        ]
        for case let (hertz?, descriptor) in frequencies {
            sink.add(descriptor, Double(hertz), device)
        }
        if let governor = reading.governor {
            sink.add(Self.governor, 1, device, governor)
        }

        if let load = reading.load {
            sink.add(Self.load, load.ratio, device)
            sink.add(Self.loadFrequency, Double(load.frequencyHertz), device)
        }
        if let stats = reading.transitionStats {
            for state in stats.states {
                sink.add(Self.timeInState, Double(state.milliseconds) / 1000, device, String(state.frequencyHertz))
            }
            sink.add(Self.transitions, Double(stats.transitionCount), device)
        }
    }

    private func noteUnsupported(_ path: String) {
        guard unsupportedStats.insert(path).inserted else { return }
        logger.debug("devfreq statistics not available (Not Supported. or empty)", ("path", path))
    }
}
