import PageStateTrace

/// Writing statements: the header, actors, memory blocks, events.
extension KernelTraceImporter {
  /// `pagestate 1`, where it came from, `arch`: once, before anything else.
  func startOutput() {
    guard !startedOutput else { return }
    startedOutput = true
    out.line("pagestate 1")
    out.line("# imported by pagestate import from \(fileName)\(format.map { " (\($0.description))" } ?? "")")
    var how = "# --arch \(options.architecture.rawValue)"
    switch options.guest {
    case .anonymous?: how += " --guest anon --guest-io \(options.guestIO.rawValue)"
    case .all?: how += " --guest all --guest-io \(options.guestIO.rawValue)"
    case .ranges(let rs)?:
      how += " --guest \(rs.map { "\(hex($0.first))+\($0.count)" }.joined(separator: ",")) --guest-io \(options.guestIO.rawValue)"
    case nil: break
    }
    out.line(how)
    out.line("# every statement says the input line it comes from (# from LINE); see docs/import.md")
    out.line("arch \(options.architecture.rawValue)")
    // The trace's kernel picks the s390 rules of that release (the `kernel=` knob, 6.10 and later).
    if options.architecture == .s390PV, let release = options.kernel, let knob = KernelTraceImporter.kernelKnob(release) {
      out.line("policy kernel=\(knob)  # --kernel \(release): the s390 rules of that release (docs/model-s390.md); --set kernel=... replays another")
    }
  }

  /// The `kernel=` value of a release: `6.10` to `6.19`, `next` after 6.19,
  /// nil before 6.10 (the model's release rules start there).
  static func kernelKnob(_ release: String) -> String? {
    let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
    guard parts.count == 2 else { return nil }
    let (major, minor) = (parts[0], parts[1])
    if major > 6 || (major == 6 && minor > 19) { return "next" }
    if major == 6 && minor >= 10 { return "6.\(minor)" }
    return nil
  }

  func comment(_ text: String) {
    startOutput()
    out.line(text)
  }

  /// `actor NAME KIND  # role`, before the actor's first event.
  func declare(_ actor: Int32) {
    guard !actors[Int(actor)].declared else { return }
    startOutput()
    actors[Int(actor)].declared = true
    let a = actors[Int(actor)]
    out.text("actor ")
    out.string(a.name)
    out.byte(0x20)
    out.string(a.kind.rawValue)
    out.text("  # ")
    out.string(a.role)
    out.end()
    summary.actors += 1
    summary.statements += 1
  }

  /// Starts an event line: `@TIME ACTOR: VERB `.
  func begin(_ actor: Int32, _ verb: StaticString, time: UInt64) {
    declare(actor)
    out.byte(0x40)
    out.decimal(time)
    out.byte(0x20)
    actors[Int(actor)].nameBytes.withUnsafeBufferPointer { out.bytes($0) }
    out.text(": ")
    out.text(verb)
    out.countEvent()
    summary.statements += 1
  }

  /// ` PAGES`: `0x10` or `0x10+4`.
  func pages(_ first: UInt64, _ count: UInt64) {
    out.byte(0x20)
    out.hex(first)
    if count != 1 {
      out.byte(0x2B)
      out.decimal(count)
    }
  }

  /// `  # from LINE WHAT`, and the end of the line.
  func source(_ what: StaticString) {
    out.text("  # from ")
    out.decimal(UInt64(lineNumber))
    if what.utf8CodeUnitCount > 0 {
      out.byte(0x20)
      out.text(what)
    }
    out.end()
  }

  /// One event on a page set, with optional trailing words.
  func event(_ actor: Int32, _ verb: StaticString, _ first: UInt64, _ count: UInt64, _ words: StaticString = "", time: UInt64, from what: StaticString) {
    begin(actor, verb, time: time)
    pages(first, count)
    if words.utf8CodeUnitCount > 0 {
      out.byte(0x20)
      out.text(words)
    }
    source(what)
  }
}
