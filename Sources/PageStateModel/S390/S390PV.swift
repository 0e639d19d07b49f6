import PageStateTrace

/// s390 Protected Virtualization (`s390-pv.md`): the Ultravisor's page states,
/// the PG_arch_1 hint bit per page or per folio, imports
/// (`gmap_make_secure` / `make_folio_secure`), the accessibility hook
/// (`arch_make_page_accessible` / `arch_make_folio_accessible`) and its callers.
public enum S390PV: Architecture {
  public static let name = ArchitectureName.s390PV

  /// The Ultravisor's view of a page.
  public enum PageState: UInt8, Sendable, CaseIterable {
    case nonsecure = 0, secure, shared, pinnedShared, exported

    public var name: String {
      switch self {
      case .nonsecure: return "nonsecure"
      case .secure: return "secure"
      case .shared: return "shared"
      case .pinnedShared: return "pinned-shared"
      case .exported: return "exported"
      }
    }
    /// Whether the guest owns the page (it is in the UV's secure storage).
    var isGuestOwned: Bool { self == .secure || self == .shared || self == .pinnedShared }
  }

  // Page bits: state in bits 0-2, PG_arch_1 (track=page) in bit 3, unmapped in bit 4.
  static let stateMask: UInt8 = 0x07
  static let archBit: UInt8 = 0x08
  static let unmapped: UInt8 = 0x10

  public static func initialBits(_ state: InitialState, backing: Backing) -> UInt8 {
    switch state {
    case .secure: return PageState.secure.rawValue | archBit
    case .shared: return PageState.shared.rawValue | archBit
    case .pinnedShared: return PageState.pinnedShared.rawValue
    case .exported: return PageState.exported.rawValue
    default: return PageState.nonsecure.rawValue
    }
  }

  public static func declare(_ d: MemoryDeclaration, in model: inout Model) {
    let bits = initialBits(d.state, backing: d.backing)
    let first = model.memory.entries.count
    model.memory.declare(d, initialBits: bits)
    // Under track=folio the bit lives in the folio: secure and shared pages start with it set.
    if model.policy.track == .folio && bits & archBit != 0 {
      for i in first..<model.memory.entries.count { model.memory.entries[i].flags.insert(.archBit) }
    }
  }

  public static func stateName(of page: UInt64, in model: inout Model) -> String {
    let bits = model.memory.entries[model.memory.index(of: page)].bits
    return PageState(rawValue: bits & stateMask)?.name ?? "?"
  }

  public static func apply(_ event: Event, from offset: UInt64, model: inout Model) -> Outcome {
    let step = S390Step(event: event)
    return step.run(from: offset, &model)
  }
}
