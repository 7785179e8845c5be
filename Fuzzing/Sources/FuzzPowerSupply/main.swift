// Power supply attributes, read by the powersupplyclass collector and by the power collector's
// supply reader, with one file replaced (input `PATH\nCONTENT`, see CollectorHarness).
@testable import EmberCollectors
import EmberCore
import FuzzSupport

let trees = ["node-exporter", "rk3588/opi5plus-mainline"]
let supplyClass = CollectorHarness(collector: "powersupplyclass", trees: trees)
let power = CollectorHarness(collector: "power", trees: ["rk3588/opi5plus-mainline"])

runFuzzer { input in
    let text = Text.attributeString(input)
    _ = PowerSupplyReader.activeEntry(text)
    supplyClass.run(input)
    power.run(input)
}
