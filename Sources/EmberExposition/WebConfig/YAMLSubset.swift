/// A value of the YAML subset that web configuration files use, with the line it starts on (1-based).
indirect enum YAMLNode: Equatable {
    /// A key with no value, such as `basic_auth_users:` with nothing under it.
    case empty(line: Int)
    case scalar(String, line: Int)
    case sequence([YAMLNode], line: Int)
    /// Entries in file order; keys are unique.
    case mapping([YAMLEntry], line: Int)

    var line: Int {
        switch self {
        case .empty(let line), .scalar(_, let line), .sequence(_, let line), .mapping(_, let line): line
        }
    }
}

struct YAMLEntry: Equatable {
    let key: String
    let line: Int
    let value: YAMLNode
}

/// A syntax error, or YAML the subset leaves out, at a 1-based line.
public struct YAMLError: Error, Equatable, CustomStringConvertible {
    public let line: Int
    public let message: String

    public var description: String { "line \(line): \(message)" }
}

/// Parses block mappings, block sequences, flow sequences of scalars (`[a, b]`), plain, single- and
/// double-quoted scalars, literal block scalars (`|`, `|-`, `|+`) as mapping values, and comments:
/// what exporter-toolkit's web configuration files contain, inline PEM text included.
///
/// Anchors, aliases, tags, folded scalars (`>`), flow mappings and multi-document streams are
/// errors, so a file never means something other than what it was parsed as.
struct YAMLSubsetParser {
    private struct Line {
        let number: Int
        let indent: Int
        let text: String
    }

    private var lines: [Line] = []
    /// Every line of the text without its line break, for literal block scalars, which keep comments
    /// and blank lines.
    private var rawLines: [String] = []
    private var position = 0

    static func parse(_ text: String) throws(YAMLError) -> YAMLNode {
        var parser = YAMLSubsetParser()
        try parser.split(text)
        guard let first = parser.lines.first else { return .empty(line: 1) }

        let root = try parser.parseBlock(indent: first.indent)
        if parser.position < parser.lines.count {
            let line = parser.lines[parser.position]
            throw YAMLError(line: line.number, message: "unexpected indentation before \"\(line.text)\"")
        }
        return root
    }

    /// Drops comments, blank lines and the `---` document marker, and measures each line's indentation.
    private mutating func split(_ text: String) throws(YAMLError) {
        rawLines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0.hasSuffix("\r") ? $0.dropLast() : $0[...])
        }
        // The text after a final line break is not a line.
        if text.hasSuffix("\n") { rawLines.removeLast() }
        for (index, raw) in rawLines.enumerated() {
            let number = index + 1
            let content = try Self.removingComment(raw, line: number)
            let indent = content.prefix { $0 == " " }.count
            let text = String(content.dropFirst(indent)).trimmingSpaces()
            if text.isEmpty || (lines.isEmpty && text == "---") { continue }
            if content.dropFirst(indent).first == "\t" {
                throw YAMLError(line: number, message: "tab in indentation; YAML indents with spaces only")
            }
            if text == "---" || text == "..." {
                throw YAMLError(line: number, message: "more than one YAML document; the file must hold one")
            }
            lines.append(Line(number: number, indent: indent, text: text))
        }
    }

    /// Cuts a `#` comment that starts the line or follows a space, outside quotes. Inside single quotes
    /// `''` is an escaped quote, and inside double quotes `\"` is.
    private static func removingComment(_ line: String, line number: Int) throws(YAMLError) -> String {
        let characters = Array(line)
        var quote: Character?
        var index = 0
        while index < characters.count {
            let character = characters[index]
            let previous: Character = index > 0 ? characters[index - 1] : " "
            if let open = quote {
                if open == "\"" && character == "\\" {
                    index += 1
                } else if open == "'" && character == "'" && index + 1 < characters.count
                            && characters[index + 1] == "'" {
                    index += 1
                } else if character == open {
                    quote = nil
                }
            } else if character == "\"" || character == "'" {
                if " [,:-".contains(previous) { quote = character }
            } else if character == "#", previous == " " || previous == "\t" {
                return String(characters[..<index])
            }
            index += 1
        }
        return line
    }

    private mutating func parseBlock(indent: Int) throws(YAMLError) -> YAMLNode {
        let line = lines[position]
        if Self.isSequenceItem(line.text) {
            return try parseSequence(indent: indent)
        }
        return try parseMapping(indent: indent)
    }

    private static func isSequenceItem(_ text: String) -> Bool {
        text == "-" || text.hasPrefix("- ")
    }
}

extension YAMLSubsetParser {
    private mutating func parseMapping(indent: Int) throws(YAMLError) -> YAMLNode {
        let startLine = lines[position].number
        var entries: [YAMLEntry] = []
        while position < lines.count, lines[position].indent == indent, !Self.isSequenceItem(lines[position].text) {
            let line = lines[position]
            let (key, rest) = try Self.splitKey(line.text, line: line.number)
            if entries.contains(where: { $0.key == key }) {
                throw YAMLError(line: line.number, message: "duplicate key \"\(key)\"")
            }
            position += 1
            let value: YAMLNode
            if rest.isEmpty {
                value = try parseNested(under: indent, line: line.number)
            } else if rest.hasPrefix("|") {
                value = try parseLiteralBlock(header: rest, parentIndent: indent, line: line.number)
            } else {
                value = try Self.parseInline(rest, line: line.number)
            }
            entries.append(YAMLEntry(key: key, line: line.number, value: value))
        }
        return .mapping(entries, line: startLine)
    }

    /// Parses the block under a key with no inline value: deeper lines, or a sequence at the key's own
    /// indentation, which YAML allows for a mapping's values.
    private mutating func parseNested(under indent: Int, line: Int) throws(YAMLError) -> YAMLNode {
        guard position < lines.count else { return .empty(line: line) }
        let next = lines[position]
        if next.indent > indent || (next.indent == indent && Self.isSequenceItem(next.text)) {
            return try parseBlock(indent: next.indent)
        }
        return .empty(line: line)
    }

    /// Parses the lines of a literal block scalar after its `|` header: blank lines and lines indented
    /// deeper than the key, with the first content line's indentation removed. Chomping follows YAML:
    /// `|` keeps one final line break, `|-` none and `|+` all.
    private mutating func parseLiteralBlock(header: String, parentIndent: Int, line: Int) throws(YAMLError)
        -> YAMLNode
    {
        let chomping = header.dropFirst()
        guard chomping.isEmpty || chomping == "-" || chomping == "+" else {
            throw YAMLError(line: line, message: "unsupported block scalar header \"\(header)\"; use |, |- or |+")
        }

        var content: [String] = []
        while line + content.count < rawLines.count {
            let raw = rawLines[line + content.count]
            if !Self.isBlank(raw), Self.indentation(raw) <= parentIndent { break }
            content.append(raw)
        }
        while position < lines.count, lines[position].number <= line + content.count {
            position += 1
        }

        let blockIndent = content.first { !Self.isBlank($0) }.map(Self.indentation) ?? 0
        var text: [String] = []
        for (offset, raw) in content.enumerated() {
            if Self.isBlank(raw) {
                text.append("")
            } else if Self.indentation(raw) < blockIndent {
                throw YAMLError(line: line + 1 + offset, message: "line less indented than the block's first line")
            } else {
                text.append(String(raw.dropFirst(blockIndent)))
            }
        }
        return .scalar(Self.chomp(text, chomping), line: line)
    }

    private static func chomp(_ lines: [String], _ chomping: Substring) -> String {
        if chomping == "+" { return lines.map { $0 + "\n" }.joined() }
        var content = lines
        while content.last?.isEmpty == true { content.removeLast() }
        let body = content.joined(separator: "\n")
        return chomping == "-" || body.isEmpty ? body : body + "\n"
    }

    private static func isBlank(_ line: String) -> Bool {
        line.allSatisfy { $0 == " " }
    }

    private static func indentation(_ line: String) -> Int {
        line.prefix { $0 == " " }.count
    }

    private mutating func parseSequence(indent: Int) throws(YAMLError) -> YAMLNode {
        let startLine = lines[position].number
        var items: [YAMLNode] = []
        while position < lines.count, lines[position].indent == indent, Self.isSequenceItem(lines[position].text) {
            let line = lines[position]
            let rest = String(line.text.dropFirst()).trimmingSpaces()
            position += 1
            if rest.isEmpty {
                items.append(try parseNested(under: indent, line: line.number))
            } else if (try? Self.splitKey(rest, line: line.number)) != nil {
                throw YAMLError(line: line.number, message: "mappings inside a sequence item are not supported")
            } else {
                items.append(try Self.parseInline(rest, line: line.number))
            }
        }
        return .sequence(items, line: startLine)
    }

    /// Splits `key: value` at the first `:` that ends the text or is followed by a space.
    private static func splitKey(_ text: String, line: Int) throws(YAMLError) -> (String, String) {
        var keyEnd: String.Index?
        if let first = text.first, first == "\"" || first == "'" {
            guard let close = text.dropFirst().firstIndex(of: first) else {
                throw YAMLError(line: line, message: "unterminated quoted key in \"\(text)\"")
            }
            keyEnd = text.index(after: close)
        }
        var index = keyEnd ?? text.startIndex
        while index < text.endIndex {
            let next = text.index(after: index)
            if text[index] == ":", next == text.endIndex || text[next] == " " {
                let key = try parseScalar(String(text[..<index]).trimmingSpaces(), line: line)
                return (key, String(text[next...]).trimmingSpaces())
            }
            index = next
        }
        throw YAMLError(line: line, message: "expected \"key: value\", found \"\(text)\"")
    }

    private static func parseInline(_ text: String, line: Int) throws(YAMLError) -> YAMLNode {
        if text.hasPrefix("[") {
            guard text.hasSuffix("]") else {
                throw YAMLError(line: line, message: "unterminated flow sequence \"\(text)\"")
            }
            let inner = text.dropFirst().dropLast().trimmingSpaces()
            if inner.isEmpty { return .sequence([], line: line) }
            var items: [YAMLNode] = []
            for part in inner.split(separator: ",", omittingEmptySubsequences: false) {
                items.append(.scalar(try parseScalar(part.trimmingSpaces(), line: line), line: line))
            }
            return .sequence(items, line: line)
        }
        if text.hasPrefix("{") {
            guard text == "{}" else {
                throw YAMLError(line: line, message: "flow mappings are not supported; write one key per line")
            }
            return .mapping([], line: line)
        }
        return .scalar(try parseScalar(text, line: line), line: line)
    }
}

extension YAMLSubsetParser {
    static func parseScalar(_ text: String, line: Int) throws(YAMLError) -> String {
        guard let first = text.first else {
            throw YAMLError(line: line, message: "empty value")
        }
        switch first {
        case "\"": return try doubleQuoted(text, line: line)
        case "'": return try singleQuoted(text, line: line)
        case "|":
            throw YAMLError(line: line, message: "a literal block scalar (|) is supported only as a mapping value")
        case ">":
            throw YAMLError(line: line, message: "folded block scalars (>) are not supported; use | instead")
        case "&", "*", "!":
            throw YAMLError(line: line, message: "anchors, aliases and tags are not supported, found \"\(text)\"")
        case "{", "[", "@", "`":
            throw YAMLError(line: line, message: "a plain value cannot start with \"\(first)\"; quote it")
        default: return text
        }
    }

    private static func singleQuoted(_ text: String, line: Int) throws(YAMLError) -> String {
        guard text.count >= 2, text.hasSuffix("'") else {
            throw YAMLError(line: line, message: "unterminated single-quoted value \(text)")
        }
        let inner = String(text.dropFirst().dropLast())
        if inner.replacingAll("''", with: "").contains("'") {
            throw YAMLError(line: line, message: "a quote inside a single-quoted value must be doubled ('')")
        }
        return inner.replacingAll("''", with: "'")
    }

    private static func doubleQuoted(_ text: String, line: Int) throws(YAMLError) -> String {
        var result = ""
        var iterator = text.dropFirst().makeIterator()
        while let character = iterator.next() {
            if character == "\"" {
                guard iterator.next() == nil else {
                    throw YAMLError(line: line, message: "text after the closing quote in \(text)")
                }
                return result
            }
            guard character == "\\" else {
                result.append(character)
                continue
            }
            switch iterator.next() {
            case "\"": result.append("\"")
            case "\\": result.append("\\")
            case "/": result.append("/")
            case "n": result.append("\n")
            case "t": result.append("\t")
            case let other:
                let escape = other.map(String.init) ?? "end of line"
                throw YAMLError(line: line, message: "unsupported escape \\\(escape) in \(text)")
            }
        }
        throw YAMLError(line: line, message: "unterminated double-quoted value \(text)")
    }
}

extension String {
    /// Returns the text with every occurrence of `target` replaced, without Foundation.
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
