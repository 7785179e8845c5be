/// The attribute file paths of one interface under `class/net`.
///
/// Building the 22 paths of each interface on every sample, together with a dictionary of its text
/// values, cost a third of the collector's instructions (callgrind, node_exporter's test tree), so
/// ``NetClassCollector`` keeps them in a ``ListingPlan``.
struct NetInterfacePaths {
    let device: String
    /// The label values of the `device`-labelled families, built once: an array per sample cost
    /// about 300 instructions (callgrind).
    let deviceLabel: [String]
    let directory: String
    /// Paths of ``NetClassCollector/textAttributes``, in that order.
    let text: [String]
    /// Paths of ``NetClassCollector/numericAttributes``, in that order.
    let numeric: [String]
    let speed: String

    init(device: String, root: String) {
        self.device = device
        deviceLabel = [device]
        directory = root + "/" + device
        text = NetClassCollector.textAttributes.map { [directory] in directory + "/" + $0.file }
        numeric = NetClassCollector.numericAttributes.map { [directory] in directory + "/" + $0.file }
        speed = directory + "/speed"
    }
}
