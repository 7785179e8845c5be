import EmberCore

/// One line of `/proc/PID/mountinfo` (format in the kernel's `Documentation/filesystems/proc.rst`):
/// `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`.
public struct MountInfoEntry: Sendable, Equatable {
    public var mountPoint: String
    /// Per-mount options (field 6), which start with `rw` or `ro` for the mount's own read-only flag.
    public var mountOptions: [String]
    public var fileSystemType: String
    /// The mount source, such as `/dev/mmcblk0p2`, or a name such as `tmpfs` for virtual file systems.
    public var source: String
    /// Superblock options (the last field), which start with `rw` or `ro` for the file system's flag.
    public var superOptions: [String]

    /// Returns whether the kernel made the file system read-only under a read-write mount.
    ///
    /// An administrator's `mount -o remount,ro` sets both the mount's and the superblock's
    /// read-only flags. When only the superblock is read-only, the file system itself switched, as
    /// ext4 does on an error with `errors=remount-ro` and btrfs does after an error it cannot
    /// recover from. A bind mount made read-only with `mount -o bind,remount,ro` shows the
    /// opposite (mount `ro`, superblock `rw`) and is not counted.
    public var isForcedReadOnly: Bool {
        mountOptions.contains("rw") && superOptions.contains("ro")
    }
}

public enum MountInfoParser {
    /// Parses the whole file. A line without the documented fields is skipped and returned in
    /// `malformed`, so one odd line does not hide every other mount.
    public static func parse(_ text: String) -> (entries: [MountInfoEntry], malformed: [String]) {
        var entries: [MountInfoEntry] = []
        var malformed: [String] = []
        for line in text.split(separator: "\n") {
            if let entry = parseLine(line) {
                entries.append(entry)
            } else {
                malformed.append(String(line))
            }
        }
        return (entries, malformed)
    }

    /// Parses one line. The optional fields (`shared:1`, `master:2`) vary in number and end at `-`.
    static func parseLine(_ line: Substring) -> MountInfoEntry? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 10, let separator = fields[6...].firstIndex(of: "-"),
              fields.count >= separator + 4
        else { return nil }

        return MountInfoEntry(
            mountPoint: unescape(fields[4]),
            mountOptions: fields[5].split(separator: ",").map(String.init),
            fileSystemType: unescape(fields[separator + 1]),
            source: unescape(fields[separator + 2]),
            superOptions: fields[separator + 3].split(separator: ",").map(String.init))
    }

    /// Decodes the kernel's octal escapes (`\040` space, `\011` tab, `\012` newline, `\134` backslash).
    static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }

        var bytes: [UInt8] = []
        let raw = Array(field.utf8)
        var index = 0
        while index < raw.count {
            if raw[index] == UInt8(ascii: "\\"), let byte = octalByte(raw[(index + 1)...]) {
                bytes.append(byte)
                index += 4
            } else {
                bytes.append(raw[index])
                index += 1
            }
        }
        return Text.decodeReplacingInvalid(bytes)
    }

    private static func octalByte(_ digits: ArraySlice<UInt8>) -> UInt8? {
        guard digits.count >= 3 else { return nil }
        var value = 0
        for digit in digits.prefix(3) {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "7") else { return nil }
            value = value * 8 + Int(digit - UInt8(ascii: "0"))
        }
        return value <= 255 ? UInt8(value) : nil
    }
}
