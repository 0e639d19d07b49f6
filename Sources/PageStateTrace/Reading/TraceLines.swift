extension TraceReader {
  /// The bytes of the next line, without its newline (for tools that need the
  /// raw text, such as `explore`'s counterexamples).
  public mutating func nextRawLine() throws(TraceError) -> [UInt8]? {
    guard let range = try nextLine() else { return nil }
    return Array(source.buffer[range])
  }
}

/// Fetches the text of some lines of a trace file, for quoting beside findings.
public enum TraceLines {
  /// The text of each wanted line (without comments stripped), read in one
  /// streaming pass. Returns what it could read; never throws.
  public static func read(path: String, lines wanted: Set<Int>) -> [Int: String] {
    guard !wanted.isEmpty, path != "-", let source = try? ByteSource.open(path: path) else { return [:] }
    var reader = TraceReader(fileName: path, source: source)
    var found: [Int: String] = [:]
    let last = wanted.max()!
    while found.count < wanted.count, let range = try? reader.nextLine() {
      if wanted.contains(reader.lineNumber) {
        var text = source.buffer.withUnsafeBufferPointer {
          String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self)
        }
        if text.hasSuffix("\r") { text.removeLast() }
        if reader.lineNumber == 1 && text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        found[reader.lineNumber] = text
      }
      if reader.lineNumber >= last { break }
    }
    return found
  }
}
