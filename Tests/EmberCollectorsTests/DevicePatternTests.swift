import EmberCollectors
import XCTest

final class DevicePatternTests: XCTestCase {
    /// Pattern, name, and whether Go's `regexp.MatchString` (RE2) reports a match.
    private let cases: [(String, String, Bool)] = [
        ("lo", "lo", true),
        ("lo", "eth0", false),
        ("eth", "veth12ab", true),
        ("^eth", "veth12ab", false),
        ("^lo$", "lo", true),
        ("^lo$", "lo0", false),
        ("^(lo|veth.*)$", "veth0", true),
        ("^(lo|veth.*)$", "lo", true),
        ("^(lo|veth.*)$", "eth0", false),
        ("^(?:docker|br-)[0-9a-f]*$", "br-1a2b", true),
        ("^(?:docker|br-)[0-9a-f]*$", "br-xyz", false),
        ("^enp[0-9]+s[0-9]+$", "enp1s0", true),
        ("^enp[0-9]+s[0-9]+$", "enps0", false),
        ("^eth\\d{1,2}$", "eth10", true),
        ("^eth\\d{1,2}$", "eth100", false),
        ("^eth\\d{2,}$", "eth100", true),
        ("^eth\\d{2}$", "eth1", false),
        ("^wl\\w+$", "wlan0", true),
        ("[^a-z]", "abc", false),
        ("[^a-z]", "ab1", true),
        ("^[]a]+$", "a]a", true),
        ("^a.c$", "abc", true),
        ("^a.c$", "a\nc", false),
        ("^a\\.c$", "abc", false),
        ("^a\\.c$", "a.c", true),
        ("^(a*)*b$", "aaab", true),
        ("^(a|ab)(c|bcd)(d*)$", "abcd", true),
        ("colou?r", "color", true),
        ("^x+?$", "xxx", true),
        ("", "anything", true),
        ("^$", "", true),
        ("^[\\d-]+$", "1-2", true),
        ("^(a*){1000}b$", "aab", true),
        ("^(a|b?){5}c$", "abc", true),
        ("^a{0}$", "", true),
    ]

    func testMatchesAsRE2() throws {
        for (pattern, name, expected) in cases {
            let compiled = try DevicePattern(pattern)
            XCTAssertEqual(compiled.matches(name), expected, "pattern \(pattern) on \(name)")
        }
    }

    func testInvalidPatternsAreRejected() {
        for pattern in ["(", "(a", "a)", "[a", "*a", "a{2,1}", "a{", "\\", "[z-a]", "a{1001}"] {
            XCTAssertThrowsError(try DevicePattern(pattern), "pattern \(pattern)")
        }
    }

    func testUnsupportedSyntaxIsRejected() {
        for pattern in ["(?i)eth", "\\beth", "(?P<name>x)", "\\1"] {
            XCTAssertThrowsError(try DevicePattern(pattern), "pattern \(pattern)")
        }
    }

    func testErrorNamesPosition() {
        XCTAssertThrowsError(try DevicePattern("ab(")) { error in
            XCTAssertEqual(String(describing: error), "missing ) at position 3")
        }
    }

    func testFilterIncludeAndExclude() throws {
        let include = try DeviceFilter(include: "^eth", exclude: "", flagPrefix: "collector.netdev")
        XCTAssertTrue(include.accepts("eth0"))
        XCTAssertFalse(include.accepts("lo"))

        let exclude = try DeviceFilter(include: "", exclude: "^lo$", flagPrefix: "collector.netdev")
        XCTAssertTrue(exclude.accepts("eth0"))
        XCTAssertFalse(exclude.accepts("lo"))
    }

    func testFilterRejectsInvalidPattern() {
        XCTAssertThrowsError(try DeviceFilter(include: "(", exclude: "", flagPrefix: "collector.netdev")) { error in
            XCTAssertEqual(
                String(describing: error),
                "--collector.netdev.device-include=( is not a valid regular expression: missing ) at position 1")
        }
    }
}
