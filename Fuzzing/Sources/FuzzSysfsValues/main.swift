// The single-value sysfs parsers: text decoding, integer attributes and the small formats that
// collectors read from one attribute file each.
@testable import EmberCollectors
import EmberCore
import FuzzSupport

let path = "/sys/fuzz/attribute"

runFuzzer { input in
    _ = Text.decodeReplacingInvalid(input)
    let text = Text.attributeString(input)
    _ = Text.fields(Substring(text))

    _ = try? SysfsClass.parseInteger(text, path: path)
    _ = try? NetClassCollector.parseInteger(text, path: path)
    _ = try? CpufreqParser.parseFrequencies(text, path: path)
    _ = CpufreqParser.parseList(text)
    _ = try? PCIeLinkDecoding.parseSpeed(text, path: path)
    _ = try? PCIeLinkDecoding.parseWidth(text, path: path)
    _ = try? MMCHealth.parseLifeTime(text, path: path)
    _ = try? MMCHealth.parseCode(text, path: path)
    _ = try? MMCHealth.parseErrorStats(text, path: path)
    _ = try? RegulatorReading.parseState(text, path: path)
    _ = try? CarbonIntensitySource.parse(text, path: path)
    _ = DurationParser.seconds(text)
}
