/// The attribute paths of one entry of `class/thermal`, kept in a ``ListingPlan`` by
/// ``ThermalZoneCollector``.
///
/// Building the paths and parsing the trip point file names on every sample cost about 40 %
/// of the collector's instructions (callgrind, RK3588 fixture).
enum ThermalEntryPaths {
    case zone(ThermalZonePaths)
    case coolingDevice(CoolingDevicePaths)
    /// An entry that is neither, which the collector skips.
    case other

    init(entry: String, classPath: String) {
        let directory = classPath + "/" + entry
        if let zone = ThermalNames.number(entry, prefix: "thermal_zone") {
            self = .zone(ThermalZonePaths(zone: zone, directory: directory))
        } else if let device = ThermalNames.number(entry, prefix: "cooling_device") {
            self = .coolingDevice(CoolingDevicePaths(name: device, directory: directory))
        } else {
            self = .other
        }
    }
}

/// The files of `thermal_zoneN`, and those of its trip points while its listing stays the same.
final class ThermalZonePaths {
    /// The zone number, the `zone` label value.
    let zone: String
    let directory: String
    let type: String
    let mode: String
    let policy: String
    let temperature: String
    private var trips: (listing: [String], paths: [TripPointPaths]) = ([], [])

    init(zone: String, directory: String) {
        self.zone = zone
        self.directory = directory
        type = directory + "/type"
        mode = directory + "/mode"
        policy = directory + "/policy"
        temperature = directory + "/temp"
    }

    /// Returns the trip points with a `trip_point_N_temp` file in `listing`, the unsorted listing
    /// of the zone directory, in numeric order.
    func tripPoints(listing: [String]) -> [TripPointPaths] {
        if listing != trips.listing {
            let paths = ThermalNames.tripPoints(in: listing).map { TripPointPaths(trip: $0, zoneDirectory: directory) }
            trips = (listing, paths)
        }
        return trips.paths
    }
}

/// The files of one trip point, `trip_point_N_*`, and the label values of its last series.
final class TripPointPaths {
    /// The trip point number, the `trip` label value.
    let trip: String
    let type: String
    let temperature: String
    let hysteresis: String
    /// `[zone, type, trip, trip_type]` of the last series, built again when a value changes.
    /// Building the array for each series cost about 300 instructions (callgrind).
    private var lastLabels: [String] = []

    init(trip: String, zoneDirectory: String) {
        self.trip = trip
        let prefix = zoneDirectory + "/trip_point_" + trip + "_"
        type = prefix + "type"
        temperature = prefix + "temp"
        hysteresis = prefix + "hyst"
    }

    /// Returns the label values of the trip point's series.
    func labels(zone: String, type: String, tripType: String) -> [String] {
        if lastLabels.count != 4 || lastLabels[0] != zone || lastLabels[1] != type || lastLabels[3] != tripType {
            lastLabels = [zone, type, trip, tripType]
        }
        return lastLabels
    }
}

/// The files of `cooling_deviceN`.
struct CoolingDevicePaths {
    /// The device number, the `name` label value.
    let name: String
    let type: String
    let maximumState: String
    let currentState: String

    init(name: String, directory: String) {
        self.name = name
        type = directory + "/type"
        maximumState = directory + "/max_state"
        currentState = directory + "/cur_state"
    }
}
