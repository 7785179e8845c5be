/// A regular expression for device names, in the RE2 syntax node_exporter's `device-include` and
/// `device-exclude` flags take, matched by backtracking.
///
/// It replaces Swift `Regex`, whose two runtime libraries made the release binary 1.9 MB larger and
/// kept 0.1–0.4 MiB more of it resident (BENCHMARKS.md), for this one use. Supported: literals, `.`, `^`, `$`,
/// groups `(...)` and `(?:...)`, alternation `|`, the quantifiers `*`, `+`, `?`, `{n}`, `{n,}` and
/// `{n,m}` (with an optional lazy `?`, which cannot change whether a name matches), bracket classes
/// with ranges and negation, and the escapes `\d \D \w \W \s \S \t \n \r` and escaped punctuation.
/// Anything else, such as flags `(?i)` or word boundaries, is rejected as unsupported.
///
/// NOTE: backtracking can take exponential time on nested quantifiers such as `(a*)*b`. Device
/// names are short (at most 15 bytes for network interfaces) and the pattern comes from the operator.
public struct DevicePattern: Sendable {
    /// The largest count `{n,m}` may give, RE2's limit.
    public static let maximumRepeatCount = 1000

    private let root: Node

    /// Parses `pattern`, throwing ``DevicePatternError`` with the position of the first problem.
    public init(_ pattern: String) throws(DevicePatternError) {
        var parser = Parser(Array(pattern.unicodeScalars))
        root = try parser.parseWhole()
    }

    /// Returns whether the pattern matches anywhere in `text`, as Go's `regexp.MatchString` does.
    public func matches(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        for start in 0...scalars.count {
            if Matcher(text: scalars).match(root, at: start, then: { _ in true }) {
                return true
            }
        }
        return false
    }
}

/// A pattern that ``DevicePattern`` cannot parse.
public struct DevicePatternError: Error, CustomStringConvertible, Sendable {
    /// The problem and its 0-based position in the pattern, counted in Unicode scalars.
    public let description: String
}

/// One node of a parsed pattern.
private indirect enum Node: Sendable {
    case scalar(Unicode.Scalar)
    case anyExceptNewline
    case set(ScalarSet)
    case textStart
    case textEnd
    case sequence([Node])
    case alternatives([Node])
    case repetition(Node, minimum: Int, maximum: Int?)
}

/// A bracket class or a class escape: ranges of scalars, possibly negated.
private struct ScalarSet: Sendable {
    var ranges: [ClosedRange<Unicode.Scalar>] = []
    var negated = false

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        ranges.contains { $0.contains(scalar) } != negated
    }

    /// Returns the set of a class escape letter (`d`, `w`, `s` and their negations), or nil.
    static func escape(_ letter: Unicode.Scalar) -> ScalarSet? {
        let digits: [ClosedRange<Unicode.Scalar>] = ["0"..."9"]
        let word: [ClosedRange<Unicode.Scalar>] = ["0"..."9", "A"..."Z", "a"..."z", "_"..."_"]
        let space: [ClosedRange<Unicode.Scalar>] = ["\t"..."\n", "\u{0C}"..."\r", " "..." "]
        switch letter {
        case "d": return ScalarSet(ranges: digits)
        case "D": return ScalarSet(ranges: digits, negated: true)
        case "w": return ScalarSet(ranges: word)
        case "W": return ScalarSet(ranges: word, negated: true)
        case "s": return ScalarSet(ranges: space)
        case "S": return ScalarSet(ranges: space, negated: true)
        default: return nil
        }
    }
}

/// A recursive-descent parser over the pattern's scalars.
private struct Parser {
    private let scalars: [Unicode.Scalar]
    private var position = 0

    init(_ scalars: [Unicode.Scalar]) {
        self.scalars = scalars
    }

    mutating func parseWhole() throws(DevicePatternError) -> Node {
        let node = try parseAlternatives()
        if position < scalars.count {
            throw error("unmatched )")
        }
        return node
    }

    private var next: Unicode.Scalar? {
        position < scalars.count ? scalars[position] : nil
    }

    private func error(_ message: String) -> DevicePatternError {
        DevicePatternError(description: "\(message) at position \(position)")
    }

    private mutating func parseAlternatives() throws(DevicePatternError) -> Node {
        var branches = [try parseSequence()]
        while next == "|" {
            position += 1
            branches.append(try parseSequence())
        }
        return branches.count == 1 ? branches[0] : .alternatives(branches)
    }

    private mutating func parseSequence() throws(DevicePatternError) -> Node {
        var items: [Node] = []
        while let scalar = next, scalar != "|", scalar != ")" {
            let atom = try parseAtom()
            items.append(try parseQuantifiers(on: atom))
        }
        return items.count == 1 ? items[0] : .sequence(items)
    }

    private mutating func parseQuantifiers(on atom: Node) throws(DevicePatternError) -> Node {
        var node = atom
        while let scalar = next {
            let bounds: (Int, Int?)
            switch scalar {
            case "*": bounds = (0, nil)
            case "+": bounds = (1, nil)
            case "?": bounds = (0, 1)
            case "{": bounds = try parseCountedBounds()
            default: return node
            }
            if scalar != "{" {
                position += 1
            }
            if next == "?" {
                position += 1
            }
            node = .repetition(node, minimum: bounds.0, maximum: bounds.1)
        }
        return node
    }

    /// Parses `{n}`, `{n,}` or `{n,m}` starting at `{`.
    private mutating func parseCountedBounds() throws(DevicePatternError) -> (Int, Int?) {
        position += 1
        guard let minimum = parseNumber() else { throw error("missing repeat count after {") }
        var maximum: Int? = minimum
        if next == "," {
            position += 1
            maximum = parseNumber()
        }
        guard next == "}" else { throw error("missing } in repeat count") }
        position += 1
        if let maximum, maximum < minimum {
            throw error("repeat count {\(minimum),\(maximum)} has its maximum below its minimum")
        }
        if max(minimum, maximum ?? 0) > DevicePattern.maximumRepeatCount {
            throw error("repeat count above \(DevicePattern.maximumRepeatCount)")
        }
        return (minimum, maximum)
    }

    private mutating func parseNumber() -> Int? {
        var value: Int?
        while let scalar = next, let digit = Int(String(scalar)), scalar.isASCII, (value ?? 0) < 10_000 {
            value = (value ?? 0) * 10 + digit
            position += 1
        }
        return value
    }

    private mutating func parseAtom() throws(DevicePatternError) -> Node {
        let scalar = scalars[position]
        position += 1
        switch scalar {
        case ".": return .anyExceptNewline
        case "^": return .textStart
        case "$": return .textEnd
        case "(": return try parseGroup()
        case "[": return .set(try parseBracketClass())
        case "\\": return try parseEscape(inClass: false)
        case "*", "+", "?", "{":
            position -= 1
            throw error("missing expression before \(scalar)")
        default: return .scalar(scalar)
        }
    }

    private mutating func parseGroup() throws(DevicePatternError) -> Node {
        if next == "?" {
            guard position + 1 < scalars.count, scalars[position + 1] == ":" else {
                throw error("unsupported group flag (only (?:...) is supported)")
            }
            position += 2
        }
        let inner = try parseAlternatives()
        guard next == ")" else { throw error("missing )") }
        position += 1
        return inner
    }

    private mutating func parseBracketClass() throws(DevicePatternError) -> ScalarSet {
        var set = ScalarSet()
        if next == "^" {
            set.negated = true
            position += 1
        }
        var first = true
        while let scalar = next, scalar != "]" || first {
            first = false
            try parseClassItem(into: &set)
        }
        guard next == "]" else { throw error("missing ]") }
        position += 1
        return set
    }

    private mutating func parseClassItem(into set: inout ScalarSet) throws(DevicePatternError) {
        let low = try parseClassScalar(into: &set)
        guard let low else { return }
        if next == "-", position + 1 < scalars.count, scalars[position + 1] != "]" {
            position += 1
            guard let high = try parseClassScalar(into: &set), high >= low else {
                throw error("invalid range in character class")
            }
            set.ranges.append(low...high)
        } else {
            set.ranges.append(low...low)
        }
    }

    /// Parses one scalar of a class, or adds a class escape such as `\d` to `set` and returns nil.
    private mutating func parseClassScalar(into set: inout ScalarSet) throws(DevicePatternError) -> Unicode.Scalar? {
        let scalar = scalars[position]
        position += 1
        guard scalar == "\\" else { return scalar }

        switch try parseEscape(inClass: true) {
        case .scalar(let literal):
            return literal
        case .set(let escaped):
            guard !escaped.negated else { throw error("negated class escape inside [] is unsupported") }
            set.ranges += escaped.ranges
            return nil
        default:
            throw error("invalid escape in character class")
        }
    }

    private mutating func parseEscape(inClass: Bool) throws(DevicePatternError) -> Node {
        guard let letter = next else { throw error("trailing backslash") }
        position += 1
        if let set = ScalarSet.escape(letter) {
            return .set(set)
        }
        switch letter {
        case "t": return .scalar("\t")
        case "n": return .scalar("\n")
        case "r": return .scalar("\r")
        default:
            guard letter.isASCII, !letter.properties.isAlphabetic, !("0"..."9").contains(letter) else {
                position -= 1
                throw error("unsupported escape \\\(letter)")
            }
            return .scalar(letter)
        }
    }
}

/// Backtracking evaluation of a parsed pattern against one text, in continuation-passing style:
/// each step calls `then` with the position after it, and a failed continuation makes the step try
/// its next choice.
private struct Matcher {
    let text: [Unicode.Scalar]

    func match(_ node: Node, at position: Int, then next: (Int) -> Bool) -> Bool {
        switch node {
        case .scalar(let scalar):
            return position < text.count && text[position] == scalar && next(position + 1)
        case .anyExceptNewline:
            return position < text.count && text[position] != "\n" && next(position + 1)
        case .set(let set):
            return position < text.count && set.contains(text[position]) && next(position + 1)
        case .textStart:
            return position == 0 && next(position)
        case .textEnd:
            return position == text.count && next(position)
        case .sequence(let items):
            return matchSequence(items[...], at: position, then: next)
        case .alternatives(let branches):
            return branches.contains { match($0, at: position, then: next) }
        case .repetition(let item, let minimum, let maximum):
            return matchRepetition(item, count: 0, minimum: minimum, maximum: maximum, at: position, then: next)
        }
    }

    private func matchSequence(_ items: ArraySlice<Node>, at position: Int, then next: (Int) -> Bool) -> Bool {
        guard let first = items.first else { return next(position) }
        return match(first, at: position) { after in
            matchSequence(items.dropFirst(), at: after, then: next)
        }
    }

    /// Tries one more repetition first (greedy), then stopping.
    ///
    /// An iteration that consumes nothing could repeat forever, so it counts as all the iterations
    /// still required, and it ends the loop once the minimum is met. Recursion is therefore at most
    /// as deep as the text is long, even for `(a*)*` or `(a*){1000}`.
    private func matchRepetition(
        _ item: Node, count: Int, minimum: Int, maximum: Int?, at position: Int, then next: (Int) -> Bool
    ) -> Bool {
        if maximum.map({ count < $0 }) ?? true {
            let matchedMore = match(item, at: position) { after in
                if after == position {
                    return count < minimum
                        && matchRepetition(item, count: minimum, minimum: minimum, maximum: maximum, at: after, then: next)
                }
                return matchRepetition(item, count: count + 1, minimum: minimum, maximum: maximum, at: after, then: next)
            }
            if matchedMore {
                return true
            }
        }
        return count >= minimum && next(position)
    }
}
