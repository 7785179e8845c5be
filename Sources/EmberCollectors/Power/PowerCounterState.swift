/// The accumulated state of the `power` collector that should survive a restart: seed a new
/// collector with it through ``PowerCollector/init(context:clock:startingAt:)`` and read it back
/// with ``PowerCollector/counterState``.
public struct PowerCounterState: Sendable, Equatable {
    /// `ember_energy_joules_total` by series, in joules.
    public var energyJoules: [PowerSeries: Double]
    /// `ember_carbon_grams_total` by series, in grams.
    public var carbonGrams: [PowerSeries: Double]
    /// The board's fitted static correction in watts (``StaticTermFit``).
    public var boardCorrectionWatts: Double

    public init(
        energyJoules: [PowerSeries: Double] = [:], carbonGrams: [PowerSeries: Double] = [:],
        boardCorrectionWatts: Double = 0
    ) {
        self.energyJoules = energyJoules
        self.carbonGrams = carbonGrams
        self.boardCorrectionWatts = boardCorrectionWatts
    }
}
