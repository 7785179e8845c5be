import EmberCore

/// The `--collector.power.*` flags, parsed and checked once at start.
struct PowerOptions {
    static let prefix = "collector.power."
    static let iioInputFlag = prefix + "iio-input"
    static let iioDividerFlag = prefix + "iio-divider"
    static let boardInputFlag = prefix + "board-input"
    static let cpuStaticFlag = prefix + "cpu-static-watts"
    static let gpuStaticFlag = prefix + "gpu-static-watts"
    static let boardStaticFlag = prefix + "board-static-watts"
    static let domainStaticFlag = prefix + "domain-static-watts"
    static let fitRateFlag = prefix + "fit-rate"
    static let carbonIntensityFlag = prefix + "carbon-intensity"
    static let carbonIntensityFileFlag = prefix + "carbon-intensity-file"

    /// The IIO channel on the board's input divider, as `iio:deviceN/in_voltageK`; nil when unset.
    var iioInput: String?
    /// Input volts per volt at the ADC pin, (R_top + R_bottom) / R_bottom.
    var iioDivider = 1.0
    /// The `domain` of the measured series that is the whole board's input, for the model's error
    /// and online fit; nil when unset.
    var boardInput: String?
    /// Static power added to each CPU cluster estimate, in watts.
    var cpuStaticWatts = 0.0
    var gpuStaticWatts = 0.0
    /// Static power by model domain (`cpu_policy4`), replacing the CPU or GPU default there.
    var domainStaticWatts: [String: Double] = [:]
    /// Static power of everything the domains leave out (memory, I/O, regulators' losses), in watts.
    var boardStaticWatts = 0.0
    /// Weight of the newest residual in the online fit of the board's static term, 0 to 1.
    var fitRate = 0.05
    var carbonIntensity: CarbonIntensitySetting = .none

    init(_ options: CollectorOptions) throws {
        let iio = options.string(PowerOptions.iioInputFlag, default: "")
        if !iio.isEmpty {
            try PowerOptions.checkIIOChannel(iio)
            iioInput = iio
        }
        iioDivider = try PowerOptions.number(options, PowerOptions.iioDividerFlag, default: 1, range: 1e-6...1e6)
        let board = options.string(PowerOptions.boardInputFlag, default: "")
        boardInput = board.isEmpty ? nil : board
        cpuStaticWatts = try PowerOptions.number(options, PowerOptions.cpuStaticFlag, default: 0, range: 0...1000)
        gpuStaticWatts = try PowerOptions.number(options, PowerOptions.gpuStaticFlag, default: 0, range: 0...1000)
        boardStaticWatts = try PowerOptions.number(options, PowerOptions.boardStaticFlag, default: 0, range: 0...10000)
        domainStaticWatts = try PowerOptions.domainWatts(options.string(PowerOptions.domainStaticFlag, default: ""))
        fitRate = try PowerOptions.number(options, PowerOptions.fitRateFlag, default: 0.05, range: 0...1)
        carbonIntensity = try PowerOptions.carbonSetting(options)
    }

    private static func carbonSetting(_ options: CollectorOptions) throws -> CarbonIntensitySetting {
        let fixed = options.string(carbonIntensityFlag, default: "")
        let file = options.string(carbonIntensityFileFlag, default: "")
        if !fixed.isEmpty && !file.isEmpty {
            throw CollectorOptionError(
                message: "--\(carbonIntensityFlag) and --\(carbonIntensityFileFlag) are mutually exclusive; "
                    + "set only one")
        }
        if !file.isEmpty {
            return .file(file)
        }
        if fixed.isEmpty {
            return .none
        }
        return .fixed(try number(options, carbonIntensityFlag, default: 0, range: 0...100_000))
    }

    private static func number(
        _ options: CollectorOptions, _ flag: String, default defaultValue: Double, range: ClosedRange<Double>
    ) throws -> Double {
        let text = options.string(flag, default: "")
        if text.isEmpty {
            return defaultValue
        }
        guard let value = Double(text), range.contains(value) else {
            throw CollectorOptionError(
                message: "invalid --\(flag) value \"\(text)\": expected a number from "
                    + "\(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// Returns the static power of a model domain: its own value, else the default of its kind.
    func staticWatts(domain: String) -> Double {
        if let own = domainStaticWatts[domain] {
            return own
        }
        return domain.hasPrefix("cpu_") ? cpuStaticWatts : gpuStaticWatts
    }

    /// Parses `DOMAIN=WATTS,DOMAIN=WATTS`, such as `cpu_policy0=0.05,cpu_policy4=0.2`.
    static func domainWatts(_ text: String) throws -> [String: Double] {
        var values: [String: Double] = [:]
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, let watts = Double(parts[1]), (0...1000).contains(watts) else {
                throw CollectorOptionError(
                    message: "invalid --\(domainStaticFlag) entry \"\(item)\": expected DOMAIN=WATTS with watts "
                        + "from 0 to 1000, such as cpu_policy4=0.2")
            }
            values[String(parts[0])] = watts
        }
        return values
    }

    private static func checkIIOChannel(_ text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].hasPrefix("iio:device"), parts[1].hasPrefix("in_voltage"),
              parts[1].dropFirst("in_voltage".count).allSatisfy(isDecimalDigit), parts[1].count > "in_voltage".count
        else {
            throw CollectorOptionError(
                message: "invalid --\(iioInputFlag) value \"\(text)\": expected iio:deviceN/in_voltageK, "
                    + "such as iio:device0/in_voltage6")
        }
    }

    /// Help for `--help`, in flag order.
    static let help: [CollectorOptionHelp] = [
        CollectorOptionHelp(
            flag: iioInputFlag, defaultValue: "",
            help: "IIO ADC channel wired to the board's input voltage divider, as iio:deviceN/in_voltageK "
                + "(Rock 5B: iio:device0/in_voltage6); empty reads none."),
        CollectorOptionHelp(
            flag: iioDividerFlag, defaultValue: "1",
            help: "Ratio of the input voltage divider, input volts per volt at the ADC (Rock 5B: 13.2)."),
        CollectorOptionHelp(
            flag: boardInputFlag, defaultValue: "",
            help: "Domain of the measured power series that is the whole board's input, such as a battery "
                + "name or <chip>/power1; the model's error and static term are fitted against it."),
        CollectorOptionHelp(
            flag: cpuStaticFlag, defaultValue: "0",
            help: "Static (leakage) power added to each CPU cluster estimate, in watts."),
        CollectorOptionHelp(
            flag: gpuStaticFlag, defaultValue: "0", help: "Static power added to the GPU estimate, in watts."),
        CollectorOptionHelp(
            flag: domainStaticFlag, defaultValue: "",
            help: "Static power of single model domains in watts, as DOMAIN=WATTS[,DOMAIN=WATTS] "
                + "(cpu_policy0=0.05,cpu_policy4=0.2); replaces the CPU or GPU value for those domains."),
        CollectorOptionHelp(
            flag: boardStaticFlag, defaultValue: "0",
            help: "Static power of the rest of the board (memory, I/O, regulator losses) added to the board "
                + "estimate, in watts."),
        CollectorOptionHelp(
            flag: fitRateFlag, defaultValue: "0.05",
            help: "Weight, 0 to 1, of each new sample in the moving average that fits the board's static term "
                + "to the measured board input; 0 turns fitting off."),
        CollectorOptionHelp(
            flag: carbonIntensityFlag, defaultValue: "",
            help: "Grid carbon intensity in grams of CO2-equivalent per kWh; empty counts no carbon."),
        CollectorOptionHelp(
            flag: carbonIntensityFileFlag, defaultValue: "",
            help: "File containing the grid carbon intensity in g/kWh, re-read when it changes; exclusive "
                + "with carbon-intensity."),
    ]
}
