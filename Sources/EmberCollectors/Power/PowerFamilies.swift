import EmberCore

/// The families of the `power` collector.
enum PowerFamilies {
    static let power = MetricDescriptor(
        "ember_power_watts",
        "Power of a domain in watts, measured (source hwmon, power_supply, rapl) or estimated (source model).",
        labels: ["domain", "source"], windowUnit: "watts")
    static let energy = MetricDescriptor(
        "ember_energy_joules_total",
        "Energy of a domain in joules since Ember started counting it: power integrated over the sampling "
            + "interval (trapezoid rule), or a hardware energy counter's wrap-corrected increase.",
        type: .counter, labels: ["domain", "source"])
    static let carbon = MetricDescriptor(
        "ember_carbon_grams_total",
        "Grams of CO2-equivalent for the board's energy at the configured grid carbon intensity.",
        type: .counter, labels: ["domain", "source"])
    static let carbonIntensity = MetricDescriptor(
        "ember_carbon_intensity_grams_per_kilowatt_hour",
        "Grid carbon intensity in use, in grams of CO2-equivalent per kWh.")
    static let modelInfo = MetricDescriptor(
        "ember_power_model_info",
        "How a model domain's estimate got its voltage or power per busy core: regulator_voltage, opp_voltage "
            + "or energy_model; always 1.",
        labels: ["domain", "method"])
    static let modelError = MetricDescriptor(
        "ember_power_model_error_watts",
        "Board power estimate minus the measured board input, in watts, before this sample's fit.")
    static let modelCorrection = MetricDescriptor(
        "ember_power_model_correction_watts",
        "Static power the online fit adds to the board estimate so it converges to the measured input, in watts.")
    static let contractVolts = MetricDescriptor(
        "ember_usb_pd_contract_volts",
        "Voltage of the USB Power Delivery contract the port negotiated (not a measurement), in volts.",
        labels: ["power_supply"])
    static let contractAmperes = MetricDescriptor(
        "ember_usb_pd_contract_amperes",
        "Current limit of the USB Power Delivery contract the port negotiated (not a measurement), in amperes.",
        labels: ["power_supply"])
    static let contractInfo = MetricDescriptor(
        "ember_usb_pd_contract_info",
        "USB Power Delivery port and its active usb_type (empty when none is marked); always 1.",
        labels: ["power_supply", "usb_type"])
    static let undervoltage = MetricDescriptor(
        "ember_power_undervoltage_alarm",
        "1 while the Raspberry Pi firmware reports the input below its threshold (rpi_volt in0_lcrit_alarm), else 0.",
        labels: ["chip"])
    static let inputVolts = MetricDescriptor(
        "ember_board_input_volts",
        "Board input voltage from an IIO ADC channel behind a divider (--collector.power.iio-input), in volts.",
        labels: ["channel"])
}
