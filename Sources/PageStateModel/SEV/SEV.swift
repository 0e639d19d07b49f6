import PageStateTrace

/// Bits of a page under SEV and SEV-SNP.
enum SEVPage {
  /// KVM's memory attribute / guest_memfd shareability: private when set.
  static let `private`: UInt8 = 0x01
  /// The RMP entry's state (sev-snp): 0 hv, 1 assigned, 2 assigned and validated.
  static let rmpMask: UInt8 = 0x06
  static let rmpHV: UInt8 = 0x00
  static let rmpAssigned: UInt8 = 0x02
  static let rmpValid: UInt8 = 0x04
  /// The page's aligned 2 MiB region has one 2M RMP entry (else 512 4K entries).
  static let rmp2M: UInt8 = 0x08
  /// The guest's PTE maps the page encrypted (C-bit set).
  static let enc: UInt8 = 0x10

  static func initialBits(_ state: InitialState) -> UInt8 {
    state == .private ? (`private` | rmpValid | enc) : 0
  }

  static func stateName(_ bits: UInt8, snp: Bool) -> String {
    guard bits & `private` != 0 else { return "shared" }
    return !snp || bits & rmpMask == rmpValid ? "private" : "private-unvalidated"
  }

  /// `shared`, `shared+pinned` (sev-snp: pins on its folio block a conversion
  /// to private), `private-unvalidated`, `private`.
  static func stateName(of page: UInt64, in m: inout Model, snp: Bool) -> String {
    let f = m.memory.folio(of: page)
    let name = stateName(m.memory.entries[f.index + Int(page - f.head)].bits, snp: snp)
    if snp && name == "shared" && m.memory.holders(of: f.index).contains(where: { $0.kind.isPin }) {
      return "shared+pinned"
    }
    return name
  }

  static func declare(_ d: MemoryDeclaration, in model: inout Model) {
    let first = model.memory.entries.count
    model.memory.declare(d, initialBits: initialBits(d.state))
    // A private region that lies in one folio of order >= 9 starts with a 2M RMP entry.
    if d.state == .private && d.order >= 9 {
      for i in first..<model.memory.entries.count { model.memory.entries[i].bits |= rmp2M }
    }
  }
}

/// The SEV architectures: one implementation (`SEVStep`), the RMP parts
/// switched on by `hasRMP`.
public protocol SEVFamily: Architecture {
  /// SEV-SNP's Reverse Map Table (and PVALIDATE) exist.
  static var hasRMP: Bool { get }
}

extension SEVFamily {
  public static func declare(_ declaration: MemoryDeclaration, in model: inout Model) {
    SEVPage.declare(declaration, in: &model)
  }

  /// sev-snp under `gmem=separate`: mainline guest_memfd allocates order-0
  /// folios only (`kvm_gmem_get_folio()`: "TODO: Support huge pages",
  /// `WARN_ON_ONCE(folio_order(folio))`), so a large gmem folio is a state
  /// the kernel cannot reach.
  public static func declarationError(_ d: MemoryDeclaration, policy: Policy) -> String? {
    guard hasRMP && policy.gmem == .separate && d.backing == .gmem && d.order > 0 else { return nil }
    return "backing=gmem order=\(d.order): under gmem=separate (mainline guest_memfd, the default) guest_memfd folios are order 0 (kvm_gmem_get_folio()); drop order=, or set policy gmem=in-place for the unmerged in-place conversion series"
  }

  public static func stateName(of page: UInt64, in model: inout Model) -> String {
    SEVPage.stateName(of: page, in: &model, snp: hasRMP)
  }

  public static func apply(_ event: Event, from offset: UInt64, model: inout Model) -> Outcome {
    SEVStep(event: event, snp: hasRMP).run(from: offset, &model)
  }
}

/// Plain AMD SEV (`sev-snp.md`): memory encryption without integrity. The
/// host can read and write private memory and sees or produces ciphertext;
/// there is no RMP.
public enum SEV: SEVFamily {
  public static let name = ArchitectureName.sev
  public static let hasRMP = false
}

/// AMD SEV-SNP (`sev-snp.md`): SEV plus the Reverse Map Table, which makes
/// host writes to guest-owned pages fault (RMP #PF) and device DMA to them
/// fail at the IOMMU; guest pages are validated with PVALIDATE.
public enum SEVSNP: SEVFamily {
  public static let name = ArchitectureName.sevSNP
  public static let hasRMP = true
}
