import Testing

@testable import PageStateTrace

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Quoting lines of a trace beside findings (TraceLines.swift).
@Suite struct TraceLinesTests {

  @Test func readsTheWantedLinesAsWritten() throws {
    let path = try temporaryFile("arch s390-pv\nmemory 0x0..0x3   # four pages\n\nvcpu0: touch 0x0 write # boot\nqemu: pin 0x0")
    defer { unlink(path) }
    let lines = TraceLines.read(path: path, lines: [2, 3, 4, 5])
    #expect(lines == [2: "memory 0x0..0x3   # four pages", 3: "", 4: "vcpu0: touch 0x0 write # boot", 5: "qemu: pin 0x0"])
    #expect(TraceLines.read(path: path, lines: [1]) == [1: "arch s390-pv"])
  }

  @Test func linesPastTheEndAreLeftOut() throws {
    let path = try temporaryFile("a\nb\n")
    defer { unlink(path) }
    #expect(TraceLines.read(path: path, lines: [2, 3, 99]) == [2: "b"])
  }

  @Test func nothingWantedOrNothingToRead() throws {
    let path = try temporaryFile("a\n")
    defer { unlink(path) }
    #expect(TraceLines.read(path: path, lines: []) == [:])
    #expect(TraceLines.read(path: "-", lines: [1]) == [:])
    #expect(TraceLines.read(path: "/nonexistent/x.trace", lines: [1]) == [:])
    #expect(TraceLines.read(path: "/tmp", lines: [1]) == [:])
  }

  @Test func manyLinesAcrossChunks() throws {
    var text = ""
    for i in 1...200_000 { text += "line \(i) " + String(repeating: "x", count: i % 17) + "\n" }
    let path = try temporaryFile(text)
    defer { unlink(path) }
    let lines = TraceLines.read(path: path, lines: [1, 99_999, 200_000])
    #expect(lines[1] == "line 1 x")
    #expect(lines[99_999] == "line 99999 " + String(repeating: "x", count: 99_999 % 17))
    #expect(lines[200_000] == "line 200000 " + String(repeating: "x", count: 200_000 % 17))
  }

  @Test func quotesLikeTheReaderReads() throws {
    // The reader ignores a trailing CR and a leading byte order mark; a quote should not show them.
    let path = try temporaryFile("\u{FEFF}arch sev\r\nmemory 0\r\n")
    defer { unlink(path) }
    let lines = TraceLines.read(path: path, lines: [1, 2])
      #expect(lines == [1: "arch sev", 2: "memory 0"])
    #expect(lines.count == 2)
  }
}
