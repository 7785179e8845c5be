/// One measured power reading, before it is turned into power and energy series.
enum MeasuredValue: Equatable {
    /// An instantaneous or averaged power, in watts.
    case watts(Double)
    /// A raw energy counter in microjoules and the value it wraps at, when known.
    case energyCounter(microjoules: UInt64, wrapsAt: UInt64?)
}

struct MeasuredReading: Equatable {
    let series: PowerSeries
    let value: MeasuredValue
}

/// The negotiated contract of a USB Power Delivery port (tcpm `power_supply`): what the source
/// offered and the sink accepted, not what flows.
struct USBPowerDeliveryContract: Equatable {
    let supply: String
    let volts: Double
    let amperes: Double
    /// The active entry of `usb_type` (`[PD] C PD_PPS` → `PD`), empty when none is marked.
    let usbType: String
}

/// The state of the Raspberry Pi firmware's under-voltage detector (hwmon `rpi_volt`).
struct UndervoltageAlarm: Equatable {
    let chip: String
    let active: Bool
}

/// Rails of current-sense chips whose driver exports bus voltage and current but may lack a
/// power attribute: the bus voltage input, the current input and the power attribute that would
/// replace their product.
///
/// Shunt voltages are never used: `in0` on the INA2xx family, `in4`…`in6` on the INA3221
/// (Linux `drivers/hwmon/ina2xx.c`, `ina238.c`, `ina3221.c`).
enum CurrentSenseChips {
    struct Rail: Equatable {
        let voltage: String
        let current: String
        let power: String
    }

    static let singleRail = [Rail(voltage: "in1", current: "curr1", power: "power1")]

    /// Rails by hwmon `name`.
    static let rails: [String: [Rail]] = [
        "ina209": singleRail, "ina219": singleRail, "ina220": singleRail, "ina226": singleRail,
        "ina230": singleRail, "ina231": singleRail, "ina234": singleRail, "ina237": singleRail,
        "ina238": singleRail, "ina260": singleRail,
        "ina3221": (1...3).map { Rail(voltage: "in\($0)", current: "curr\($0)", power: "power\($0)") },
    ]
}
