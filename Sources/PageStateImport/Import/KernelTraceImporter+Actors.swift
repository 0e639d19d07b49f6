import PageStateTrace

/// Who acts: tasks, the interrupt context, devices, the guest (docs/import.md, "Actors").
extension KernelTraceImporter {
  /// The actor of an event line: `irq` in hard or soft interrupt context
  /// (and for the idle task, pid 0, which only runs interrupts), else the
  /// task `COMM-PID`, a host actor.
  func actor(_ p: UnsafeBufferPointer<UInt8>, _ line: KernelTraceLine) -> Int32 {
    if line.inInterrupt || line.pid == 0 { return interrupt() }
    let key = UInt64(bitPattern: line.pid)
    if let a = actorOfTask[key], Bytes.equal(p, line.comm, actors[Int(a)].comm) {
      return a
    }
    let comm = Array(UnsafeBufferPointer(rebasing: p[line.comm]))
    let text = String(decoding: comm, as: UTF8.self)
    let a = newActor(name: "\(KernelTraceImporter.identifier(text))-\(line.pid)", kind: .host, role: "\(text)-\(line.pid): \(KernelTraceImporter.role(of: text))")
    actors[Int(a)].comm = comm
    actors[Int(a)].pid = line.pid
    actorOfTask.set(key, a)
    return a
  }

  func interrupt() -> Int32 {
    if interruptActor < 0 {
      interruptActor = newActor(name: "irq", kind: .host, role: "hard and soft interrupt context, any CPU: I/O completions (bio end_io, folio_end_writeback)")
    }
    return interruptActor
  }

  /// The device of the block requests in flight: `bdev.MAJOR.MINOR` from
  /// `block_rq_issue`, or `bdev` when the trace has none.
  func device() -> Int32 {
    if currentDevice < 0 { currentDevice = device(named: "bdev", role: "the block device (the trace names none)") }
    return currentDevice
  }

  func device(named name: String, role: String) -> Int32 {
    if let d = deviceActors[name] { return d }
    let d = newActor(name: name, kind: .device, role: role)
    deviceActors[name] = d
    return d
  }

  /// The guest vCPU that touches a guest folio: one per folio, so that an
  /// access that waits holds up only that folio's accesses.
  func guestActor(_ f: Int32) -> Int32 {
    if folios[Int(f)].guestActor < 0 {
      let head = folios[Int(f)].head
      folios[Int(f)].guestActor = newActor(name: "guest.\(hex(head))", kind: .guest, role: "the protected guest's accesses to folio \(hex(head)) (derived by --guest)")
    }
    return folios[Int(f)].guestActor
  }

  func newActor(name: String, kind: ActorKind, role: String) -> Int32 {
    var unique = name
    var n = 2
    while actorNames.contains(unique) {
      unique = "\(name).\(n)"
      n += 1
    }
    actorNames.insert(unique)
    actors.append(ImportedActor(name: unique, nameBytes: Array(unique.utf8), kind: kind, role: role))
    return Int32(actors.count - 1)
  }

  /// A task name as an identifier of the trace language
  /// (`[A-Za-z_][A-Za-z0-9_.-]*`): other bytes become `_`.
  static func identifier(_ comm: String) -> String {
    var out = ""
    for (i, c) in comm.unicodeScalars.enumerated() {
      let ok = (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" || (i > 0 && ((c >= "0" && c <= "9") || c == "." || c == "-"))
      if i == 0 && !ok && ((c >= "0" && c <= "9") || c == "." || c == "-") { out += "_" }
      out += ok || (c >= "0" && c <= "9") || c == "." || c == "-" ? String(c) : "_"
    }
    return out.isEmpty ? "_" : out
  }

  /// What a task is, by its name (the rule of docs/import.md).
  static func role(of comm: String) -> String {
    if comm.hasPrefix("kworker/") { return "kernel worker" }
    if comm.hasPrefix("kswapd") { return "page reclaim (kswapd)" }
    if comm.hasPrefix("jbd2/") { return "ext4 journal thread" }
    if comm.hasPrefix("flush-") || comm.hasPrefix("writeback") { return "writeback flusher" }
    if comm.hasPrefix("ksoftirqd/") { return "softirq thread" }
    if comm.hasPrefix("iou-wrk-") || comm.hasPrefix("iou-sqp-") { return "io_uring worker of a user task" }
    if comm.hasPrefix("CPU ") && comm.hasSuffix("/KVM") { return "vCPU thread of a VMM" }
    if comm.hasPrefix("qemu") || comm.hasPrefix("vhost-") { return "VMM (QEMU or vhost)" }
    if comm.hasPrefix("khugepaged") || comm.hasPrefix("kcompactd") { return "kernel memory thread" }
    return "user task"
  }
}
