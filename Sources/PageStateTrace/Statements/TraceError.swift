/// An error in a trace: malformed input, or an event the model cannot apply.
///
/// Printed as `FILE:LINE:COLUMN: error: MESSAGE`; the message names what was
/// expected and what was found. Every such error makes the command exit 2.
public struct TraceError: Error, Hashable, Sendable, CustomStringConvertible {
  public var location: SourceLocation
  public var message: String

  public init(_ location: SourceLocation, _ message: String) {
    self.location = location
    self.message = message
  }

  public var description: String { "\(location): error: \(message)" }
}
