import EmberCore

/// The choice between the libsensors and the sysfs source, made once per collector.
enum HwmonSourceSelection {
    static func select(_ context: CollectorContext) -> any HwmonSource {
        let sysfs = SysfsHwmonSource(reader: context.reader, logger: context.logger)
        let configFlag = context.options.string(HwmonCollector.sensorsConfigFlag, default: "")
        let configFile = configFlag.isEmpty ? nil : configFlag

        // A configuration file the user named and that cannot apply is worth a warning.
        let log = configFile == nil ? context.logger.info : context.logger.warn
        guard context.options.bool(HwmonCollector.libsensorsFlag, default: true) else {
            log("reading hwmon from sysfs directly, without libsensors, because --\(HwmonCollector.libsensorsFlag) is false",
                ("sensors_config", configFlag))
            return sysfs
        }
        guard context.roots.sysfs == SourceRoots.defaultSysfs else {
            log(
                "reading hwmon from sysfs directly, without libsensors, because --path.sysfs is not /sys",
                ("path", context.roots.sysfs), ("sensors_config", configFlag))
            return sysfs
        }
        guard initialiseLibsensors(configFile: configFile, logger: context.logger, log: log) else {
            return sysfs
        }
        context.logger.info("reading hwmon through libsensors", ("sensors_config", configFile ?? "default"))
        let reads = LibsensorsReads(fileSystem: context.reader.fileSystem)
        return LibsensorsHwmonSource(sysfs: sysfs, readLibsensorsChips: { Libsensors.readChips(reads) })
    }

    /// Initialises libsensors and logs the outcome; returns false when the sysfs reader must be used.
    private static func initialiseLibsensors(
        configFile: String?, logger: Logger, log: (String, (String, String)...) -> Void
    ) -> Bool {
        let shownConfig = configFile ?? "default"
        do {
            let parseErrors = try Libsensors.initialise(configFile: configFile)
            if !parseErrors.isEmpty {
                logger.warn(
                    "libsensors skipped statements it could not parse in its configuration",
                    ("err", parseErrors.joined(separator: "; ")), ("sensors_config", shownConfig))
            }
            return true
        } catch {
            log("reading hwmon from sysfs directly because libsensors failed to initialise",
                ("err", error.description), ("sensors_config", shownConfig))
            return false
        }
    }
}
