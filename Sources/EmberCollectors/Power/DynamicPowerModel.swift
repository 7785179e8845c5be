/// The inputs of one power domain's dynamic-power estimate for one sampling interval.
public struct DynamicPowerInput: Sendable, Equatable {
    /// The device tree's `dynamic-power-coefficient`, in µW/MHz/V², as the kernel's energy model
    /// defines it (Documentation/devicetree/bindings/arm/cpus.yaml).
    public let coefficient: Double
    /// Supply voltage in volts.
    public let volts: Double
    /// Clock frequency in MHz.
    public let megahertz: Double
    /// The busy fraction (0 to 1) of each core the domain's clock drives; one value for a GPU.
    public let busyFractions: [Double]

    public init(coefficient: Double, volts: Double, megahertz: Double, busyFractions: [Double]) {
        self.coefficient = coefficient
        self.volts = volts
        self.megahertz = megahertz
        self.busyFractions = busyFractions
    }
}

/// The CMOS dynamic-power estimate the kernel's energy model also uses: P = C × V² × f per busy
/// core, summed over the cores of a clock domain.
///
/// It leaves out leakage, the interconnect and memory, which the static terms cover. So it is an
/// estimate that is usually low, not a measurement.
public enum DynamicPowerModel {
    /// Returns the domain's dynamic power in watts: Σ over cores of C × V² × f × busy, with C in
    /// µW/MHz/V², V in volts and f in MHz (which gives µW), divided by 10⁶.
    public static func watts(_ input: DynamicPowerInput) -> Double {
        let microwattsPerBusyCore = input.coefficient * input.volts * input.volts * input.megahertz
        let busyCores = input.busyFractions.reduce(0, +)
        return microwattsPerBusyCore * busyCores / 1_000_000
    }
}

/// The input that set an estimate's voltage, or its power per busy core.
enum EstimateMethod: String {
    /// The supply regulator's present `microvolts`.
    case regulatorVoltage = "regulator_voltage"
    /// The OPP table's voltage at each frequency.
    case oppVoltage = "opp_voltage"
    /// The kernel's energy model in debugfs.
    case energyModel = "energy_model"
}

/// One model domain's dynamic power and how it was estimated.
struct DomainEstimate {
    let domain: String
    var watts: Double
    let method: EstimateMethod
}

/// A static term corrected online so that the model's board estimate converges to a measured
/// board input.
///
/// Each sample moves the correction towards the residual (measured − estimate without the
/// correction) by an exponential moving average with weight `rate`. After n samples of a steady
/// residual r the correction is r × (1 − (1 − rate)ⁿ).
public struct StaticTermFit: Sendable, Equatable {
    /// The fitted correction in watts, added to the configured static terms.
    public private(set) var correctionWatts: Double
    /// The weight of the newest residual, between 0 (no fitting) and 1 (follow the last residual).
    public let rate: Double

    public init(rate: Double, startingAt correctionWatts: Double = 0) {
        self.rate = rate
        self.correctionWatts = correctionWatts
    }

    /// Updates the correction from one pair of readings and returns it.
    @discardableResult
    public mutating func update(measuredWatts: Double, uncorrectedEstimateWatts: Double) -> Double {
        let residual = measuredWatts - uncorrectedEstimateWatts
        correctionWatts += rate * (residual - correctionWatts)
        return correctionWatts
    }
}
