import PageStateModel
import PageStateTrace

/// A replay of any architecture, behind one interface.
protocol ReplayDriver: Sendable {
  mutating func feed(_ statement: Statement) throws(TraceError)
  mutating func feed(_ batch: StatementBatch, fromEvent first: Int, fromOther firstOther: Int) throws(TraceError)
  mutating func finish() throws(TraceError) -> ReplayResult
  var policy: Policy { get }
}

extension Replay: ReplayDriver {
  var policy: Policy { model.policy }
}

/// Drives one parse of a trace into one or several replays (one per policy),
/// statement by statement, so a trace is read once whatever the number of policies.
public struct Session {
  /// Which policies to run.
  public enum Mode: Sendable {
    /// One policy: the preset named on the command line, else the trace's, else `split`.
    case replay(preset: String?)
    /// These presets (`compare`).
    case compare([String])
    /// Every preset; `check` picks the ones its expectations name. A model
    /// error stops only the policy it happens under.
    case check
  }

  /// The file name of errors that come from the command line, not the trace.
  public static let commandLine = "<command line>"

  public let fileName: String
  public let mode: Mode
  /// `--set` knobs from the command line (they win over the trace's).
  public let overrides: [(key: String, value: String)]
  /// Whether each replay records a timeline (`ReplayResult.timeline`), for
  /// `--timeline` and `--perfetto`. Set before the first statement.
  public var recordsTimeline = false
  /// Findings each replay keeps with their details (counts stay exact); `Int.max` keeps all.
  public var findingLimit = FindingLog.storedLimit
  var setup: [Statement] = []
  var replays: [any ReplayDriver] = []
  var errors: [TraceError?] = []
  var started = false
  var architecture: ArchitectureName?
  /// The trace's `policy` statement.
  public private(set) var declaration: PolicyDeclaration?
  /// The trace's `expect` lines.
  public private(set) var expectations: [Expectation] = []

  public init(fileName: String, mode: Mode, overrides: [(key: String, value: String)] = []) {
    self.fileName = fileName
    self.mode = mode
    self.overrides = overrides
  }

  /// Reads a whole trace from `source` through a session.
  /// `progress`, if given, is called every 65,536 statements with the trace
  /// line reached (for a progress display).
  public static func run(
    fileName: String, source: ByteSource, mode: Mode, overrides: [(key: String, value: String)] = [], recordsTimeline: Bool = false,
    progress: ((Int) -> Void)? = nil
  ) throws(TraceError) -> (Session, [ReplayResult]) {
    var reader = TraceReader(fileName: fileName, source: source)
    var session = Session(fileName: fileName, mode: mode, overrides: overrides)
    session.recordsTimeline = recordsTimeline
    var count = 0
    while let s = try reader.next() {
      try session.feed(s)
      if let progress {
        count &+= 1
        if count & 0xFFFF == 0, let e = s.event { progress(e.line) }
      }
    }
    let results = try session.finish()
    return (session, results)
  }

  public mutating func feed(_ statement: Statement) throws(TraceError) {
    switch statement {
    case .architecture(let a, _):
      architecture = a
    case .policy(let d):
      declaration = d
    case .expectation(let e):
      expectations.append(e)
      return
    default:
      break
    }
    if !started {
      guard statement.event != nil else {
        setup.append(statement)
        return
      }
      try start()
    }
    for i in replays.indices where errors[i] == nil {
      do {
        try replays[i].feed(statement)
      } catch {
        if case .check = mode { errors[i] = error } else { throw error }
      }
    }
  }

  /// The policies this session runs, with the trace's knobs and then `--set` applied.
  public func policies() throws(TraceError) -> [Policy] {
    let names: [String]
    switch mode {
    case .replay(let preset): names = [preset ?? declaration?.preset ?? Policy.defaultPreset]
    case .compare(let list): names = list
    case .check: names = Policy.presetNames
    }
    var result: [Policy] = []
    for name in names {
      guard var policy = Policy(preset: name) else {
        if let d = declaration, d.preset == name {
          throw TraceError(SourceLocation(file: fileName, line: d.line, column: d.presetColumn), Policy.unknownPreset(name))
        }
        throw TraceError(SourceLocation(file: Session.commandLine, line: 0, column: 0), Policy.unknownPreset(name))
      }
      if let d = declaration {
        if let preset = d.preset, Policy(preset: preset) == nil {
          throw TraceError(SourceLocation(file: fileName, line: d.line, column: d.presetColumn), Policy.unknownPreset(preset))
        }
        for knob in d.knobs {
          do {
            try policy.set(knob.key, knob.value)
          } catch {
            throw TraceError(SourceLocation(file: fileName, line: d.line, column: error.isValue ? knob.valueColumn : knob.keyColumn), error.message)
          }
        }
      }
      for (key, value) in overrides {
        do {
          try policy.set(key, value)
        } catch {
          throw TraceError(SourceLocation(file: Session.commandLine, line: 0, column: 0), "--set \(key)=\(value): \(error.message)")
        }
      }
      do {
        try policy.validate()
      } catch {
        // Blame the trace's knob if it set one of the two, else the command line.
        if let d = declaration, let knob = d.knobs.first(where: { $0.key == "track" || $0.key == "hook" }),
          !overrides.contains(where: { $0.key == "track" || $0.key == "hook" })
        {
          throw TraceError(SourceLocation(file: fileName, line: d.line, column: knob.keyColumn), error.message)
        }
        throw TraceError(SourceLocation(file: Session.commandLine, line: 0, column: 0), error.message)
      }
      result.append(policy)
    }
    return result
  }

  mutating func start() throws(TraceError) {
    started = true
    let policies = try policies()
    let arch = architecture ?? .s390PV
    for policy in policies {
      var r = Session.makeReplay(arch, policy: policy, fileName: fileName, recordsTimeline: recordsTimeline, findingLimit: findingLimit)
      for s in setup { try r.feed(s) }
      replays.append(r)
      errors.append(nil)
    }
    setup.removeAll()
  }

  static func makeReplay(_ arch: ArchitectureName, policy: Policy, fileName: String, recordsTimeline: Bool = false, findingLimit: Int = FindingLog.storedLimit) -> any ReplayDriver {
    func make<A: Architecture>(_: A.Type) -> any ReplayDriver {
      Replay<A>(policy: policy, fileName: fileName, recordsTimeline: recordsTimeline, findingLimit: findingLimit)
    }
    switch arch {
    case .s390PV: return make(S390PV.self)
    case .sev: return make(SEV.self)
    case .sevSNP: return make(SEVSNP.self)
    }
  }

  /// Ends every replay and returns one result per policy, in order.
  public mutating func finish() throws(TraceError) -> [ReplayResult] {
    if !started { try start() }
    var results: [ReplayResult] = []
    for i in replays.indices {
      if let e = errors[i] {
        results.append(ReplayResult(policy: replays[i].policy, findings: FindingLog(), stats: Statistics(), estimatedCost: 0, error: e))
        continue
      }
      do {
        results.append(try replays[i].finish())
      } catch {
        if case .check = mode {
          results.append(ReplayResult(policy: replays[i].policy, findings: FindingLog(), stats: Statistics(), estimatedCost: 0, error: error))
        } else {
          throw error
        }
      }
    }
    return results
  }
}
