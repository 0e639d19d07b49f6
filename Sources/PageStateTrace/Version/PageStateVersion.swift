/// The version of pagestate: `pagestate --version`, the SARIF driver's
/// `version`, the JSON reports' `tool_version`.
public enum PageStateVersion {
  public static let string = "0.12.0"
  /// The trace language version the tool reads and writes (`pagestate 1`).
  public static let traceLanguage = 1
}
