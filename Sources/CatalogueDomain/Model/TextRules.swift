/// What text the catalogue accepts, and how text from the log is shown.
///
/// Every string in the log ends up on an operator's terminal, in a report or
/// on a label printer, so what is accepted must look like what it is:
/// - bar codes are printable ASCII, as real labels are, so two different
///   bar codes can never look the same;
/// - names and messages are Unicode without control, format, separator or
///   bidirectional-override characters, and without U+FFFD (the mark of text
///   that was not valid UTF-8);
/// - every limit counts UTF-8 bytes, so combining marks cannot hide a
///   hundred-kilobyte string behind one letter.
public enum TextRules {
    /// 1 to `maximumBytes` characters from `!` to `~`: printable ASCII without spaces.
    public static func isPrintableASCIIWord(_ text: String, maximumBytes: Int) -> Bool {
        !text.isEmpty && text.utf8.count <= maximumBytes && text.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }

    /// A bar code as real labels print them.
    public static func isBarcode(_ text: String) -> Bool {
        isPrintableASCIIWord(text, maximumBytes: NameLimits.barcode)
    }

    /// Text fit to display on one line: no character that moves the cursor,
    /// changes the terminal, reorders or hides text.
    public static func isDisplayable(_ text: String) -> Bool {
        // Printable ASCII, the common case, needs no character properties.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return true }
        return text.unicodeScalars.allSatisfy(isDisplayable)
    }

    /// Not displayable: controls (C0, DEL, C1), format characters (zero-width
    /// spaces and joiners, bidirectional marks, overrides and isolates, the
    /// byte-order mark), line and paragraph separators, space separators other
    /// than the plain space, private-use and unassigned code points, and U+FFFD.
    public static func isDisplayable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x7F { return scalar.value >= 0x20 }
        if scalar.value == 0xFFFD { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator, .privateUse, .surrogate,
            .unassigned:
            return false
        default:
            return true
        }
    }

    /// `text` with every character that is not displayable written as `\u{…}`,
    /// for text output of anything that came from the log: a log written before
    /// these rules, or damaged, must not drive a terminal.
    public static func escaped(_ text: String) -> String {
        escaped(text) { "\\u{" + String($0.value, radix: 16) + "}" }
    }

    /// `text` with every character that is not displayable replaced by what `escape` makes of it.
    public static func escaped(_ text: String, using escape: (Unicode.Scalar) -> String) -> String {
        guard !isDisplayable(text) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isDisplayable(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                out += escape(scalar)
            }
        }
        return out
    }

    /// The start of `text`, escaped, for an error message about it: at most
    /// `limit` scalars, so one letter with thousands of combining marks stays short.
    public static func preview(_ text: String, limit: Int = 48) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > limit else { return escaped(text) }
        var start = String.UnicodeScalarView()
        start.append(contentsOf: scalars.prefix(limit))
        return escaped(String(start)) + "…"
    }
}
