import PageStateTrace

/// A granularity policy: a set of knob values (`policies.md`). Presets name the
/// designs the kernel discussions compare; any knob can be changed on top.
public struct Policy: Sendable, Hashable {
  public enum Track: String, CaseIterable, Sendable { case page, folio }
  public enum Large: String, CaseIterable, Sendable { case allow, split, refuse }
  public enum Wait: Sendable, Hashable {
    case forever
    /// Give up after this many nanoseconds of trace time.
    case bounded(UInt64)
  }
  public enum FolioHook: String, CaseIterable, Sendable {
    case each
    case twoPass = "two-pass"
  }
  public enum Flush: String, CaseIterable, Sendable { case immediate, deferred }
  public enum ChgMask: String, CaseIterable, Sendable {
    case keepEnc = "keep-enc"
    case dropEnc = "drop-enc"
  }
  public enum SplitPMD: String, CaseIterable, Sendable {
    case copyEntry = "copy-entry"
    case vmPageProt = "vm-page-prot"
  }
  /// `gmem=` (sev-snp): how guest_memfd backs a gfn's two sides.
  public enum Gmem: String, CaseIterable, Sendable {
    /// Mainline: the shared side is ordinary VMM memory, the private side a
    /// separate order-0 guest_memfd page (`kvm_gmem_get_pfn()`); a conversion
    /// only flips the attribute (`kvm_vm_set_mem_attributes()`) and the RMP
    /// is updated lazily (`sev_gmem_prepare()` at the fault,
    /// `sev_gmem_invalidate()` when guest_memfd frees the page).
    case separate
    /// The unmerged guest_memfd in-place conversion series (2025-26): one
    /// physical page is shared or private, conversions check a safe refcount
    /// and split/merge huge folios (`__kvm_gmem_set_attributes()`).
    case inPlace = "in-place"
  }

  /// The preset this policy started from.
  public var preset: String
  public var track: Track
  public var hook: HookScope
  public var large: Large
  public var wait: Wait = .forever
  public var drain = true
  public var refcountCheck = true
  public var flush: Flush = .immediate
  public var merge = true
  public var chgMask: ChgMask = .keepEnc
  public var splitPMD: SplitPMD = .copyEntry
  public var folioHook: FolioHook = .each
  /// `gmem=`: mainline's separate shared and private pages (the default) or
  /// the in-place conversion series. SEV-SNP guest_memfd pages only.
  public var gmem: Gmem = .separate
  /// `kernel=`: the rules of one release where releases differ; nil keeps
  /// the model's release-independent rules.
  public var kernel: KernelRelease?
  /// The s390 large-folio rule of `kernel` for the presets that stand for
  /// a kernel's rule (`split`, `refuse`) when `large` was not set
  /// explicitly: 6.10 refuses (-EINVAL), 6.11 on splits. SEV keeps `large`.
  public var kernelLarge: Large?
  /// The `large` rule s390 imports follow: the release's, else the knob's.
  public var s390Large: Large { kernelLarge ?? large }
  public var costs = CostModel()
  /// Knobs changed on top of the preset, in the order given (for the name).
  public var changes: [(key: String, value: String)] = []

  /// The four presets, in report order.
  public static let presetNames = ["page", "folio", "split", "refuse"]
  /// Every knob name.
  public static let knobNames = [
    "track", "hook", "large", "wait", "drain", "refcount-check", "flush", "merge", "chg-mask",
    "split-pmd", "folio-hook", "gmem", "kernel",
  ] + CostModel.kinds.map { "cost.\($0)" }

  /// The policy `replay` uses when neither the trace nor the command line names one.
  public static let defaultPreset = "split"

  /// A preset by name, or nil.
  public init?(preset: String) {
    self.preset = preset
    switch preset {
    case "page": (track, hook, large) = (.page, .page, .allow)
    case "folio": (track, hook, large) = (.folio, .folio, .allow)
    case "split": (track, hook, large) = (.page, .page, .split)
    case "refuse": (track, hook, large) = (.page, .page, .refuse)
    default: return nil
    }
  }

  /// `folio`, or `folio+wait=bounded:150ms` when knobs changed.
  public var name: String {
    changes.isEmpty ? preset : preset + "+" + changes.map { "\($0.key)=\($0.value)" }.joined(separator: "+")
  }

  /// The error message for an unknown preset, listing the valid ones.
  public static func unknownPreset(_ name: String) -> String {
    "unknown policy '\(name)'; expected one of \(presetNames.joined(separator: ", "))"
      + (nearestSpelling(to: name, in: presetNames).map { " (did you mean '\($0)'?)" } ?? "")
  }

  /// Sets one knob. Throws a message listing the valid choices.
  public mutating func set(_ key: String, _ value: String) throws(PolicyError) {
    func choice<T: RawRepresentable & CaseIterable>(_ type: T.Type) throws(PolicyError) -> T where T.RawValue == String {
      guard let v = T(rawValue: value) else {
        let names = T.allCases.map(\.rawValue)
        throw PolicyError(message: "knob '\(key)' takes \(names.joined(separator: ", ")); found '\(value)'", isValue: true)
      }
      return v
    }
    func onOff() throws(PolicyError) -> Bool {
      switch value {
      case "on": return true
      case "off": return false
      default: throw PolicyError(message: "knob '\(key)' takes on, off; found '\(value)'", isValue: true)
      }
    }
    switch key {
    case "track": track = try choice(Track.self)
    case "hook": hook = try choice(HookScope.self)
    case "large":
      large = try choice(Large.self)
      kernelLarge = nil
    case "wait":
      if value == "forever" {
        wait = .forever
      } else if value.hasPrefix("bounded:"), let ns = parseDuration(String(value.dropFirst(8))) {
        wait = .bounded(ns)
      } else {
        throw PolicyError(message: "knob 'wait' takes forever, bounded:DURATION (e.g. bounded:150ms); found '\(value)'", isValue: true)
      }
    case "drain": drain = try onOff()
    case "refcount-check": refcountCheck = try onOff()
    case "flush": flush = try choice(Flush.self)
    case "merge": merge = try onOff()
    case "chg-mask": chgMask = try choice(ChgMask.self)
    case "split-pmd": splitPMD = try choice(SplitPMD.self)
    case "folio-hook": folioHook = try choice(FolioHook.self)
    case "gmem": gmem = try choice(Gmem.self)
    case "kernel":
      guard let release = KernelRelease(value) else {
        throw PolicyError(message: "knob 'kernel' takes \(KernelRelease.names.joined(separator: ", ")); found '\(value)'", isValue: true)
      }
      kernel = release
      // The presets that stand for a kernel's large-folio rule take the
      // release's rule (6.10 refuses with -EINVAL, 6.11 splits), unless
      // `large` was set explicitly; page and folio keep their what-if.
      kernelLarge = nil
      if (preset == "split" || preset == "refuse") && !changes.contains(where: { $0.key == "large" }) {
        kernelLarge = release.splitsLargeFolios ? .split : .refuse
      }
    default:
      if key.hasPrefix("cost."), let kind = CostModel.kinds.firstIndex(of: String(key.dropFirst(5))) {
        guard let v = Double(value), v >= 0, v.isFinite else {
          throw PolicyError(message: "knob '\(key)' takes a non-negative number; found '\(value)'", isValue: true)
        }
        costs.values[kind] = v
      } else {
        let hint = nearestSpelling(to: key, in: Policy.knobNames).map { " (did you mean '\($0)'?)" } ?? ""
        throw PolicyError(message: "unknown knob '\(key)'; expected one of \(Policy.knobNames.joined(separator: ", "))\(hint)", isValue: false)
      }
    }
    changes.removeAll { $0.key == key }
    changes.append((key, value))
  }

  /// Checks combinations: `track=folio` needs `hook=folio`.
  public func validate() throws(PolicyError) {
    if track == .folio && hook == .page {
      throw PolicyError(message: "track=folio requires hook=folio (there is only the folio hook when the bit is per folio); set hook=folio or track=page", isValue: false)
    }
  }

  public static func == (a: Policy, b: Policy) -> Bool { a.name == b.name }
  public func hash(into h: inout Hasher) { h.combine(name) }
}

/// A knob error; `isValue` says whether it is about the value (else the key).
public struct PolicyError: Error, Sendable {
  public var message: String
  public var isValue: Bool
}

