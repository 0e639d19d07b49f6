/// The text formats `pagestate import` reads (docs/import.md).
public enum KernelTraceFormat: String, CaseIterable, Sendable {
  /// tracefs `trace` or `trace_pipe`: `TASK-PID [(TGID)] [CPU] [FLAGS] SECONDS: EVENT: FIELDS`.
  case ftrace
  /// `trace-cmd report`, with or without `-R`: the tracefs layout without the
  /// flags column, event names padded, kprobe sites as addresses.
  case traceCmd = "trace-cmd"
  /// `perf script`: `COMM TID [CPU] SECONDS: GROUP:EVENT: FIELDS`.
  case perf
  /// The bpftrace script `docs/capture/probes.py --bpftrace` writes:
  /// `bt NSECS CPU TID EVENT: FIELDS comm=COMM`.
  case bpftrace

  /// The name users give it on the command line (`--from`).
  public var name: String { rawValue }

  /// What a summary calls it.
  public var description: String {
    switch self {
    case .ftrace: return "tracefs text (trace, trace_pipe)"
    case .traceCmd: return "trace-cmd report"
    case .perf: return "perf script"
    case .bpftrace: return "bpftrace (pagestate format)"
    }
  }
}
