import EmberCore

/// The `power` collector: measured power where the hardware has a sensor, an energy-model
/// estimate where it has none, and energy and carbon totals of both, each series labelled with
/// its `source` so a measurement and an estimate are never confused.
///
/// Measured: hwmon power and energy attributes and current-sense rails, battery and mains
/// `power_supply` readings, and RAPL. USB-PD ports give only their negotiated contract. Estimated:
/// ``DynamicPowerModel`` per CPU cluster and GPU plus the configured static terms, summed into a
/// `board` estimate that is fitted online to a measured board input when one is configured.
public final class PowerCollector: Collector {
    private let reader: SourceReader
    private let logger: Logger
    private let clock: any Clock
    private let options: PowerOptions
    private var absence: AbsenceLog
    private var cpuEstimator: CPUClusterEstimator
    private var gpuEstimator: GPUEstimator
    private var compatible: [String]?
    private var counters: [PowerSeries: (counter: EnergyCounter, nanoseconds: UInt64)] = [:]
    /// The state of each hwmon directory between runs, for ``HwmonPowerReader``.
    private var hwmonChips: HwmonChipStates<HwmonPowerFiles>
    private var hwmonLabels = HwmonChipLabelMemo()
    private var hwmonUniqueLabels = HwmonUniqueLabelMemo()
    private var raplZones: RaplZoneReader
    private var energy: EnergyAccumulator
    private var carbon: [PowerSeries: CarbonAccumulator]
    private var carbonIntensity: CarbonIntensitySource
    private var boardFit: StaticTermFit
    private let ledger: CounterLedger
    /// Whether the configured board input and static-term domains were checked against the
    /// series found, which happens once, so a misspelt domain is logged once.
    private var boardInputChecked = false
    private var staticDomainsChecked = false

    /// Throws ``CollectorOptionError`` for an invalid `--collector.power.*` value. `startingAt`
    /// seeds the energy and carbon totals and the fitted correction, such as persisted ones.
    public init(
        context: CollectorContext, clock: any Clock = SystemClock(), startingAt state: PowerCounterState = .init()
    ) throws {
        reader = context.reader
        hwmonChips = HwmonChipStates(classPath: context.reader.roots.sys("class/hwmon"))
        raplZones = RaplZoneReader(reader: context.reader)
        logger = context.logger
        self.clock = clock
        options = try PowerOptions(context.options)
        absence = AbsenceLog(logger: context.logger)
        cpuEstimator = CPUClusterEstimator(reader: reader, logger: logger, memo: context.cycle)
        gpuEstimator = GPUEstimator(reader: reader)
        energy = EnergyAccumulator(startingAt: state.energyJoules)
        carbon = state.carbonGrams.mapValues { CarbonAccumulator(startingAtGrams: $0) }
        carbonIntensity = CarbonIntensitySource(
            setting: options.carbonIntensity, fileSystem: reader.fileSystem, logger: logger)
        boardFit = StaticTermFit(rate: options.fitRate, startingAt: state.boardCorrectionWatts)
        ledger = context.counters
    }

    /// The totals and the fitted correction to persist. Read it on the thread that runs
    /// ``update(into:)`` or while no update runs, because the collector has no lock.
    public var counterState: PowerCounterState {
        PowerCounterState(
            energyJoules: energy.totals, carbonGrams: carbon.mapValues(\.totalGrams),
            boardCorrectionWatts: boardFit.correctionWatts)
    }

    public func update(into sink: inout MetricSink) throws {
        let now = clock.monotonicNanoseconds()
        var joulesAdded: [PowerSeries: Double] = [:]

        var measuredBoard: (series: PowerSeries, watts: Double)?
        let readings = readMeasured(sink: &sink)
        checkBoardInput(readings)
        for reading in readings {
            guard let watts = powerWatts(reading, now: now, joulesAdded: &joulesAdded) else { continue }
            addPower(reading.series, watts: watts, now: now, joulesAdded: &joulesAdded, sink: &sink)
            if reading.series.domain == options.boardInput {
                measuredBoard = (reading.series, watts)
            }
        }

        let boardSeries = addModel(measuredBoard: measuredBoard, now: now, joulesAdded: &joulesAdded, sink: &sink)
        let carbonSeries = measuredBoard?.series ?? boardSeries
        addCarbon(carbonSeries, joules: carbonSeries.flatMap { joulesAdded[$0] }, sink: &sink)
        addEnergyTotals(sink: &sink)
        counterState.record(in: ledger)
    }

    // MARK: Measured

    private func readMeasured(sink: inout MetricSink) -> [MeasuredReading] {
        let hwmon = HwmonPowerReader(reader: reader).read(
            chips: &hwmonChips, labels: &hwmonLabels, uniqueLabels: &hwmonUniqueLabels, sink: &sink)
        let supplies = PowerSupplyReader(reader: reader).read(sink: &sink)
        addAlarms(hwmon.alarms, into: &sink)
        addContracts(supplies.contracts, into: &sink)
        addInputVoltage(into: &sink)

        // An unlistable powercap directory costs the RAPL series only, not the other sources.
        var zones: [RaplZoneReading] = []
        do {
            zones = try raplZones.read(sink: &sink, absence: &absence)
        } catch {
            sink.record(error)
        }
        let rapl = zones.map { zone in
            MeasuredReading(
                series: PowerSeries(domain: "\(zone.zone.name)-\(zone.zone.index)", source: .rapl),
                value: .energyCounter(microjoules: zone.microjoules, wrapsAt: zone.wrapsAt))
        }
        return hwmon.readings + supplies.readings + rapl
    }

    /// Warns once when the first run has no measured series with the `--collector.power.board-input`
    /// domain, because the model's error and fit would otherwise stay absent without a word.
    private func checkBoardInput(_ readings: [MeasuredReading]) {
        guard let domain = options.boardInput, !boardInputChecked else { return }
        boardInputChecked = true
        guard !readings.contains(where: { $0.series.domain == domain }) else { return }

        let found = Set(readings.map(\.series.domain)).sorted().joined(separator: ",")
        logger.warn(
            "no measured power series has the domain of --\(PowerOptions.boardInputFlag)",
            ("domain", domain), ("measured_domains", found.isEmpty ? "none" : found),
            ("action", "the model's error and fit start once that series appears; pick a domain of ember_power_watts"))
    }

    /// Returns the reading's power in watts. An energy counter gives its increase over the
    /// interval since its previous reading, and none for its first reading or a reset.
    private func powerWatts(
        _ reading: MeasuredReading, now: UInt64, joulesAdded: inout [PowerSeries: Double]
    ) -> Double? {
        switch reading.value {
        case .watts(let watts):
            return watts
        case .energyCounter(let microjoules, let wrapsAt):
            var state = counters[reading.series] ?? (EnergyCounter(startingAtMicrojoules: 0), now)
            let delta = state.counter.update(raw: microjoules, maxRangeMicrojoules: wrapsAt)
            let seconds = Double(now &- state.nanoseconds) / 1e9
            counters[reading.series] = (state.counter, now)

            let joules = delta.map { Double($0) / 1_000_000 }
            energy.add(reading.series, joules: joules)
            joulesAdded[reading.series] = joules ?? 0
            guard let joules, seconds > 0 else { return nil }
            return joules / seconds
        }
    }

    /// Emits a power sample and integrates it, unless its energy came from a counter already.
    private func addPower(
        _ series: PowerSeries, watts: Double, now: UInt64, joulesAdded: inout [PowerSeries: Double],
        sink: inout MetricSink
    ) {
        sink.add(PowerFamilies.power, watts, series.domain, series.source.rawValue)
        if joulesAdded[series] == nil {
            joulesAdded[series] = energy.add(series, watts: watts, atNanoseconds: now)
        }
    }

    private func addAlarms(_ alarms: [UndervoltageAlarm], into sink: inout MetricSink) {
        for alarm in alarms {
            sink.add(PowerFamilies.undervoltage, alarm.active ? 1 : 0, alarm.chip)
        }
    }

    private func addContracts(_ contracts: [USBPowerDeliveryContract], into sink: inout MetricSink) {
        for contract in contracts {
            sink.add(PowerFamilies.contractVolts, contract.volts, contract.supply)
            sink.add(PowerFamilies.contractAmperes, contract.amperes, contract.supply)
            sink.add(PowerFamilies.contractInfo, 1, contract.supply, contract.usbType)
        }
    }

    private func addInputVoltage(into sink: inout MetricSink) {
        guard let channel = options.iioInput else { return }
        let input = BoardInputVoltage(reader: reader, channel: channel, divider: options.iioDivider)
        if let volts = input.read(sink: &sink) {
            sink.add(PowerFamilies.inputVolts, volts, channel)
        }
    }

    // MARK: Model

    /// Emits the domain and board estimates, the model's error and fit; returns the board series.
    ///
    /// The board estimate needs every CPU cluster, the part that varies most, so it is nil (and
    /// not exported) until each cpufreq policy has an estimate. A GPU without inputs is left out.
    private func addModel(
        measuredBoard: (series: PowerSeries, watts: Double)?, now: UInt64,
        joulesAdded: inout [PowerSeries: Double], sink: inout MetricSink
    ) -> PowerSeries? {
        let (domains, complete, cpuDomains) = estimateDomains(sink: &sink)
        checkStaticDomains(cpuDomains: cpuDomains)
        var total = options.boardStaticWatts
        for estimate in domains {
            let series = PowerSeries(domain: estimate.domain, source: .model)
            addPower(series, watts: estimate.watts, now: now, joulesAdded: &joulesAdded, sink: &sink)
            sink.add(PowerFamilies.modelInfo, 1, estimate.domain, estimate.method.rawValue)
            total += estimate.watts
        }
        guard complete else { return nil }

        let board = PowerSeries(domain: "board", source: .model)
        // The fitted correction is negative where the model overestimates, and a sudden drop in
        // load could then take the sum below 0 W, which no board draws.
        let estimate = max(0, total + boardFit.correctionWatts)
        addPower(board, watts: estimate, now: now, joulesAdded: &joulesAdded, sink: &sink)
        if let measuredBoard {
            sink.add(PowerFamilies.modelError, estimate - measuredBoard.watts)
            boardFit.update(measuredWatts: measuredBoard.watts, uncorrectedEstimateWatts: total)
        }
        sink.add(PowerFamilies.modelCorrection, boardFit.correctionWatts)
        return board
    }

    /// Warns once, when the cpufreq policies are first listed, about
    /// `--collector.power.domain-static-watts` entries that name no model domain, because their
    /// static power is then never added. Names starting with `gpu` are not checked, because the
    /// GPU has an estimate only while its devfreq `load` has data.
    private func checkStaticDomains(cpuDomains: [String]) {
        guard !staticDomainsChecked, !cpuDomains.isEmpty else { return }
        staticDomainsChecked = true
        let unknown = options.domainStaticWatts.keys.filter { domain in
            !domain.hasPrefix("gpu") && !cpuDomains.contains(domain)
        }
        guard !unknown.isEmpty else { return }

        logger.warn(
            "static power is set for domains that the model does not estimate, so it is never added",
            ("domains", unknown.sorted().joined(separator: ",")), ("cpu_domains", cpuDomains.joined(separator: ",")))
    }

    /// Returns each domain's estimate with its static term, in watts, whether every CPU cluster
    /// has one, and the domains of all CPU clusters.
    private func estimateDomains(sink: inout MetricSink)
        -> (domains: [DomainEstimate], complete: Bool, cpuDomains: [String]) {
        if compatible == nil {
            compatible = sink.attempt { try CPUDeviceTreeFacts.readStrings(
                DeviceTreeReader(reader: reader), reader.roots.sys("firmware/devicetree/base/compatible")) }
        }
        let cpus = cpuEstimator.estimate(sink: &sink)
        var domains = cpus.clusters + gpuEstimator.estimate(compatible: compatible ?? [], sink: &sink)
        for index in domains.indices {
            domains[index].watts += options.staticWatts(domain: domains[index].domain)
        }
        return (domains, cpus.complete, cpus.policyDomains)
    }

    // MARK: Energy and carbon

    private func addCarbon(_ series: PowerSeries?, joules: Double?, sink: inout MetricSink) {
        guard let intensity = carbonIntensity.refresh(sink: &sink) else { return }
        sink.add(PowerFamilies.carbonIntensity, intensity)
        guard let series, let joules else { return }

        var accumulator = carbon[series] ?? CarbonAccumulator()
        accumulator.add(joules: joules, gramsPerKilowattHour: intensity)
        carbon[series] = accumulator
        sink.add(PowerFamilies.carbon, accumulator.totalGrams, series.domain, series.source.rawValue)
    }

    private func addEnergyTotals(sink: inout MetricSink) {
        for series in energy.seriesSeenThisRun {
            sink.add(PowerFamilies.energy, energy.totals[series] ?? 0, series.domain, series.source.rawValue)
        }
        energy.endRun()
    }
}
