/// JSON text helpers shared by the hand-written JSON writers (`JSONReport`,
/// `SARIFReport`, `PerfettoTrace`).
enum JSONText {
  /// `text` as a JSON string literal, escaped per RFC 8259.
  static func quote(_ text: String) -> String {
    var s = "\""
    for u in text.unicodeScalars {
      switch u {
      case "\"": s += "\\\""
      case "\\": s += "\\\\"
      case "\n": s += "\\n"
      case "\r": s += "\\r"
      case "\t": s += "\\t"
      default:
        if u.value < 0x20 {
          let h = String(u.value, radix: 16)
          s += "\\u" + String(repeating: "0", count: 4 - h.count) + h
        } else {
          s.unicodeScalars.append(u)
        }
      }
    }
    return s + "\""
  }
}
