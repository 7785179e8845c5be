/// Series IDs of the JSON API, in Prometheus' text form: `name{label="value",…}`, labels in the
/// family's order, values escaped as in the exposition (`\\`, `\"`, `\n`).
public enum SeriesSelector {
    public static func format(name: String, labelNames: [String], labelValues: [String]) -> String {
        guard !labelNames.isEmpty else { return name }
        var text = name + "{"
        for (index, (label, value)) in zip(labelNames, labelValues).enumerated() {
            if index > 0 {
                text += ","
            }
            text += label + "=\"" + escape(value) + "\""
        }
        return text + "}"
    }

    /// Splits an ID into the family name and its label pairs in the order given.
    public static func parse(_ text: String) -> (name: String, labels: [(String, String)])? {
        var rest = Substring(text)
        let name = rest.prefix { $0 != "{" }
        guard !name.isEmpty, name.allSatisfy(isNameCharacter) else { return nil }
        rest = rest.dropFirst(name.count)
        guard !rest.isEmpty else { return (String(name), []) }

        rest = rest.dropFirst()
        var labels: [(String, String)] = []
        while !rest.hasPrefix("}") {
            guard let (label, value, after) = parsePair(rest) else { return nil }
            labels.append((label, value))
            rest = after.hasPrefix(",") ? after.dropFirst() : after
        }
        guard rest == "}" else { return nil }
        return (String(name), labels)
    }

    private static func parsePair(_ text: Substring) -> (String, String, Substring)? {
        let label = text.prefix { $0 != "=" }
        guard !label.isEmpty, label.allSatisfy(isNameCharacter) else { return nil }
        var rest = text.dropFirst(label.count)
        guard rest.hasPrefix("=\"") else { return nil }
        rest = rest.dropFirst(2)

        var value = ""
        while let character = rest.first {
            rest = rest.dropFirst()
            switch character {
            case "\"":
                return (String(label), value, rest)
            case "\\":
                guard let escaped = rest.first else { return nil }
                rest = rest.dropFirst()
                switch escaped {
                case "n": value.append("\n")
                case "\\", "\"": value.append(escaped)
                default: return nil
                }
            default:
                value.append(character)
            }
        }
        return nil
    }

    private static func escape(_ value: String) -> String {
        var text = ""
        for character in value {
            switch character {
            case "\\": text += "\\\\"
            case "\"": text += "\\\""
            case "\n": text += "\\n"
            default: text.append(character)
            }
        }
        return text
    }

    private static func isNameCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == ":")
    }
}
