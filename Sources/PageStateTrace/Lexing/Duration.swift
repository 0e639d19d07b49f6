/// Parses `150ms`, `2s`, `10us`, `5ns` or bare nanoseconds.
public func parseDuration(_ text: String) -> UInt64? {
  let units: [(String, UInt64)] = [("ns", 1), ("us", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000)]
  for (unit, scale) in units where text.hasSuffix(unit) {
    let digits = text.dropLast(unit.count)
    guard !digits.isEmpty, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }), let v = UInt64(digits) else { return nil }
    let (p, o) = v.multipliedReportingOverflow(by: scale)
    return o ? nil : p
  }
  guard !text.isEmpty, text.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return nil }
  return UInt64(text)
}

/// Formats nanoseconds the way traces write durations: `150ms`, `1500us`, `7ns`.
public func formatDuration(_ ns: UInt64) -> String {
  if ns == 0 { return "0ns" }
  if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
  if ns % 1_000_000 == 0 { return "\(ns / 1_000_000)ms" }
  if ns % 1_000 == 0 { return "\(ns / 1_000)us" }
  return "\(ns)ns"
}
