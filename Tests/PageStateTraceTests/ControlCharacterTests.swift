import Testing

@testable import PageStateTrace

/// Error messages quote the trace's bytes; control and invisible characters
/// are written as `\u{...}` escapes (found while fuzzing: a NUL, a lone CR or
/// an ESC went to the terminal as they were).
struct ControlCharacterTests {
  @Test(
    "control characters in a quoted token are escaped",
    arguments: [
      (Array("arch s390-pv\nmemory 0x0\nqemu: get 0x0 \u{0}\n".utf8), "3:15", "unexpected '\\u{0}' for 'get'"),
      (Array("arch s390-pv\rmemory 0x0\n".utf8), "1:6", "found 's390-pv\\u{D}memory'"),
      (Array("arch s390-pv\nmemory 0x0\nqemu: g\u{1B}[31met 0x0\n".utf8), "3:7", "unknown verb 'g\\u{1B}[31met'"),
      ([0x61, 0x72, 0x63, 0x68, 0x20, 0x73, 0x33, 0x39, 0x30, 0x2D, 0x70, 0x76, 0x0A, 0xEF, 0xBB, 0xBF] + Array("memory 0x0\n".utf8), "2:1",
        "found '\\u{FEFF}memory'"),
    ] as [([UInt8], String, String)])
  func escaped(_ bytes: [UInt8], _ at: String, _ part: String) throws {
    let error = try #require(throws: TraceError.self) { try parse(bytes: bytes) }
    #expect(position(error) == at)
    #expect(error.message.contains(part), "\(error.message)")
    #expect(!error.description.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0xFEFF })
  }

  @Test("messages without control characters are unchanged")
  func plain() {
    #expect(TraceReader.printable("unknown verb 'tuch'") == "unknown verb 'tuch'")
    #expect(TraceReader.printable("é ü 😀") == "é ü 😀")
    #expect(TraceReader.printable("a\tb") == "a\\u{9}b")
  }
}
