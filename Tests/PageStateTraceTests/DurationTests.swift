import Testing

@testable import PageStateTrace

/// `parseDuration` / `formatDuration` (Duration.swift): durations outside a trace line.
@Suite struct DurationTests {

  @Test(arguments: [
    ("0", 0 as UInt64), ("5", 5), ("0ns", 0), ("7ns", 7), ("3us", 3_000), ("1500us", 1_500_000), ("150ms", 150_000_000),
    ("2s", 2_000_000_000), ("18446744073709551615", .max), ("18446744073709551615ns", .max),
    ("18446744073s", 18_446_744_073_000_000_000),
  ])
  func parses(_ text: String, _ ns: UInt64) {
    #expect(parseDuration(text) == ns)
  }

  @Test(arguments: [
    "", "s", "ms", "x", "5x", "5xs", "5m", "5sec", "1.5ms", "-5ms", "-5", "5 ms", " 5ms", "5MS", "5S", "0x10", "0x10ns",
    "18446744073709551616", "18446744074s", "٣s",
  ])
  func rejects(_ text: String) {
    #expect(parseDuration(text) == nil)
  }

  @Test func agreesWithTheTraceLexer() {
    // The same spellings mean the same in a trace (`@TIME`, `expect stat wait-time=`) and outside.
    for text in ["0", "5", "7ns", "3us", "150ms", "2s", "5xs", "1.5ms", "5MS", "18446744074s", "+5ms", "+5"] {
      let lexed: UInt64? = withLine(text) { line, t in line.duration(t[0], bareIsNanoseconds: true) }
      #expect(parseDuration(text) == lexed, "\(text)")
    }
  }

  @Test(arguments: [
    (0 as UInt64, "0ns"), (1, "1ns"), (999, "999ns"), (1000, "1us"), (1500, "1500ns"), (1_500_000, "1500us"),
    (150_000_000, "150ms"), (1_000_000_000, "1s"), (2_000_000_000, "2s"), (2_500_000_000, "2500ms"),
    (UInt64.max, "18446744073709551615ns"), (18_446_744_073_000_000_000, "18446744073s"),
  ])
  func formats(_ ns: UInt64, _ text: String) {
    #expect(formatDuration(ns) == text)
  }

  @Test(arguments: [0, 1, 999, 1000, 1001, 1_500_000, 150_000_000, 7_000_000_000, UInt64.max, UInt64.max - 999])
  func roundTrips(_ ns: UInt64) {
    #expect(parseDuration(formatDuration(ns)) == ns)
    let lexed: UInt64? = withLine(formatDuration(ns)) { line, t in line.duration(t[0], bareIsNanoseconds: false) }
    #expect(lexed == ns)
  }
}
