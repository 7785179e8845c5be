@testable import EmberCollectors
import EmberCore
import XCTest

/// The byte parsers of `/proc/stat`, `/proc/net/dev`, `aer_dev_*`, `time_in_state`, cpufreq lists
/// and devfreq `trans_stat` must give exactly what the `Character` parsers give, errors included.
/// These tests compare both on the kernel's formats and on many seeded mutations of them.
final class ASCIIParserEquivalenceTests: XCTestCase {
    static let procStat = """
        cpu  301854 612 111922 8979004 3552 2 3944 0 44 36
        cpu0 44490 19 21045 1087069 220 1 3410 0 2 1
        cpu1\t47869 23 16474 1110787 591 0 46 0
        cpu2 1 2 3 4 5 6 7
        cpu3 +1 2 3 4 5 6 7 8 -0
        cpu4 18446744073709551615 1 2 3 4 5 6 7
        cpu5 18446744073709551616 1 2 3 4 5 6 7
        cpux 1 2 3 4 5 6 7 8
        intr 8885917 17 0

        """
    static let netDev = """
        Inter-|   Receive                                                |  Transmit
         face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls
            lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16
        eth0:123456789012 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16
          wlan0 : 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
        : 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16
        bad line
        \t\u{0B}
        """
    static let aer = """
        RxErr 0
          BadTLP 3\u{0C}BadDLLP  2  
        TOTAL_ERR_COR 5
        """

    func testProcStatMatchesCharacterParser() {
        forEachVariant(of: Self.procStat) { text in
            let fast = ProcStatParser.parse(text, path: "stat")
            let reference = ProcStatParser.parseCharacters(text, path: "stat")
            XCTAssertEqual(fast.cpus, reference.cpus, "input: \(text.debugDescription)")
            XCTAssertEqual(fast.errors, reference.errors, "input: \(text.debugDescription)")
        }
    }

    func testNetDevMatchesCharacterParser() {
        forEachVariant(of: Self.netDev) { text in
            let fast = NetDevParser.parse(text, path: "dev")
            let reference = NetDevParser.parseCharacters(text, path: "dev")
            XCTAssertEqual(fast.devices, reference.devices, "input: \(text.debugDescription)")
            XCTAssertEqual(fast.errors, reference.errors, "input: \(text.debugDescription)")
        }
    }

    func testAERMatchesCharacterParser() {
        forEachVariant(of: Self.aer) { text in
            let fast = Result { try AERDeviceReport.parse(text, severity: .correctable, path: "aer") }
            let reference = Result { try AERDeviceReport.parseCharacters(text, severity: .correctable, path: "aer") }
            assertSameOutcome(fast, reference, input: text)
        }
    }

    static let timeInState = """
        408000 1245
        600000\t12
        816000 0

        1008000 18446744073709551615
        """

    func testTimeInStateMatchesCharacterParser() {
        forEachVariant(of: Self.timeInState) { text in
            let fast = Result { try CpufreqParser.parseTimeInState(text, path: "time_in_state") }
            let reference = Result { try CpufreqParser.parseTimeInStateCharacters(text, path: "time_in_state") }
            assertSameOutcome(fast, reference, input: text)
        }
    }

    func testListMatchesCharacterSplit() {
        forEachVariant(of: "performance powersave \tschedutil\u{0B}ondemand \n") { text in
            let reference = text.split(whereSeparator: \.isWhitespace).map(String.init)
            XCTAssertEqual(CpufreqParser.parseList(text), reference, "input: \(text.debugDescription)")
        }
    }

    func testLastPathComponentMatchesSplit() {
        forEachVariant(of: "/sys/devices/system/cpu/cpu0/cpuidle/state1") { path in
            let reference = path.split(separator: "/").last
            XCTAssertEqual(lastPathComponent(path), reference, "input: \(path.debugDescription)")
        }
    }

    func testTrimSpaceMatchesCharacterTrim() {
        let cases = ["\u{600}a", "a\u{600}", "a\u{301}", "\u{301}a", "\u{85}x", "x\u{A0}", "\u{2028}x\u{3000}", "\r\n"]
        for text in cases {
            XCTAssertEqual(SysfsClass.trimSpace(text), Self.trimmedByCharacters(text), "input: \(text.debugDescription)")
        }
        forEachVariant(of: " 8.0 GT/s PCIe\n") { text in
            XCTAssertEqual(SysfsClass.trimSpace(text), Self.trimmedByCharacters(text), "input: \(text.debugDescription)")
        }
    }

    func testLinkSpeedFieldsMatchCharacterSplit() {
        forEachVariant(of: "8.0  GT/s PCIe \u{301}") { text in
            let reference = text.split(separator: " ")
            let (first, second) = PCIeLinkDecoding.firstTwoFields(text)
            XCTAssertEqual(first, reference.first, "input: \(text.debugDescription)")
            XCTAssertEqual(second, reference.count >= 2 ? reference[1] : nil, "input: \(text.debugDescription)")
        }
    }

    /// Trims `Character.isWhitespace` characters from both ends, the definition of `trimSpace`.
    private static func trimmedByCharacters(_ text: String) -> String {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
              let last = text.lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(text[first...last])
    }

    static let transitionTable = """
             From  :   To
                   : 300000000 600000000   Time(ms)
        * 300000000:         0         5      1200
          600000000:         4         0 123456789012
        Total transition : 9

        """

    func testTransitionTableMatchesCharacterParser() {
        forEachVariant(of: Self.transitionTable) { text in
            let fast = Result { try DevfreqTransitionStats.parse(text, path: "trans_stat") }
            let reference = Result { try DevfreqTransitionStats.parseCharacters(text, path: "trans_stat") }
            assertSameOutcome(fast, reference, input: text)
        }
        XCTAssertNil(try DevfreqTransitionStats.parse(" Not Supported.\n", path: "trans_stat"))
        XCTAssertEqual(try DevfreqTransitionStats.parse(Self.transitionTable, path: "trans_stat")?.states.count, 2)
    }

    func testASCIICheckMatchesBytes() {
        for text in ["", "/sys/class/hwmon", "é", "a\u{301}", String(repeating: "x", count: 40) + "\u{7F}", "\u{80}"] {
            XCTAssertEqual(isASCII(text), text.utf8.allSatisfy { $0 < 0x80 }, text.debugDescription)
        }
    }

    func testFastPathSkipsNonASCIIText() {
        XCTAssertNil(ASCIILines.parse("cpu0 1\u{301} 2", { _ in true }))
        XCTAssertNil(ASCIILines.parse("cpu0 1\r\n", { _ in true }))
        XCTAssertEqual(ASCIILines.parse("cpu0 1\n", { $0.count }), 7)
    }

    /// Asserts that both parsers returned equal values or threw equal ``ParseError``s.
    private func assertSameOutcome<Value: Equatable>(
        _ fast: Result<Value, any Error>, _ reference: Result<Value, any Error>, input: String
    ) {
        switch (fast, reference) {
        case (.success(let fastValue), .success(let referenceValue)):
            XCTAssertEqual(fastValue, referenceValue, "input: \(input.debugDescription)")
        case (.failure(let fastError), .failure(let referenceError)):
            XCTAssertEqual(fastError as? ParseError, referenceError as? ParseError, "input: \(input.debugDescription)")
        default:
            XCTFail("one parser failed and the other did not, input: \(input.debugDescription)")
        }
    }

    /// Calls `body` with `text`, and then with 3000 seeded mutations: Unicode scalars replaced,
    /// inserted or removed, drawn from the characters these formats use and a few that break them.
    private func forEachVariant(of text: String, _ body: (String) -> Void) {
        body(text)
        body("")
        let alphabet = Array(" \t\n\u{0B}\u{0C}\r0129+-:/|cpuTOTAL_ERR_xé\u{301}".unicodeScalars)
        var generator = SplitMix64(seed: 0x5EED)
        for _ in 0..<3000 {
            var scalars = Array(text.unicodeScalars)
            for _ in 0..<Int(generator.next() % 4 + 1) where !scalars.isEmpty {
                let position = Int(generator.next() % UInt64(scalars.count))
                let scalar = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                switch generator.next() % 3 {
                case 0: scalars[position] = scalar
                case 1: scalars.insert(scalar, at: position)
                default: scalars.remove(at: position)
                }
            }
            var mutated = String.UnicodeScalarView()
            mutated.append(contentsOf: scalars)
            body(String(mutated))
        }
    }
}

/// A small seeded generator, so a failing input is the same on every run.
private struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
