/// A progress line for long replays on a terminal: `pagestate: FILE: line
/// 3200000 (2.1 s)`, rewritten in place (carriage return, erase line).
///
/// Silent for the first second, so short replays never show it, and at most
/// five updates a second. The caller decides whether the stream is a
/// terminal (`isatty(2)`); in pipes and CI it must not be used at all.
public struct ProgressLine {
  public let file: String
  let clock = ContinuousClock()
  let started: ContinuousClock.Instant
  var last: ContinuousClock.Instant?
  /// Whether a line is on screen (and must be erased by `clear`).
  public private(set) var shown = false

  public init(file: String) {
    self.file = file
    started = clock.now
  }

  /// Shows the trace line reached, if a second has passed and the last update is 200 ms old.
  public mutating func update(line: Int, to out: inout some TextOutputStream) {
    let now = clock.now
    guard now - started >= .seconds(1) else { return }
    if let last, now - last < .milliseconds(200) { return }
    last = now
    let elapsed = now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let tenths = Int((seconds * 10).rounded())
    out.write("\r\u{1B}[Kpagestate: \(file): line \(line) (\(tenths / 10).\(tenths % 10) s)")
    shown = true
  }

  /// Erases the line, if shown.
  public mutating func clear(to out: inout some TextOutputStream) {
    guard shown else { return }
    out.write("\r\u{1B}[K")
    shown = false
  }
}
