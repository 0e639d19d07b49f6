import PageStateTrace

/// The synthetic workloads `pagestate generate` writes (docs/workloads.md).
public enum Workload: String, CaseIterable, Sendable {
  /// Guests share virtio ring pages that the VMM pins long-term; devices do
  /// I/O on them; vCPUs touch neighbouring pages.
  case virtio
  /// File-backed large folios dirtied and written back; disk I/O under
  /// writeback; guest touches landing during writeback.
  case writeback
  /// Direct I/O with pins (and some FOLL_GET references), speculative
  /// references, LRU batches.
  case dio
  /// All of the above over one memory, several vCPUs and host actors.
  case mixed
  /// SEV-SNP: conversions over guest_memfd huge folios, device DMA on shared
  /// pages, host CPU accesses.
  case snp

  /// The architecture the workload is written for by default.
  public var defaultArchitecture: ArchitectureName { self == .snp ? .sevSNP : .s390PV }
}

/// A known race a generated workload leaves out unless asked for
/// (`generate --with RACE`): without any, `page` and `split` replay a
/// generated workload clean, as a current kernel runs it.
public enum KnownRace: String, CaseIterable, Sendable {
  /// Direct I/O that takes FOLL_GET references (`get`, DMA, `put`): no
  /// hook runs, so the device does I/O on a secure page. What O_DIRECT did
  /// before 6.5 (`iov_iter_get_pages()`; the Jan Kara / John Hubbard 2021
  /// discussion, and the 2020 splice bug); since then
  /// `iov_iter_extract_pages()` pins user pages with FOLL_PIN.
  case follGet = "foll-get"
  /// A host path that calls the hook (`make-accessible`) before taking its
  /// reference: the guest touches the page in between and makes it secure
  /// again, so the DMA that follows is on a secure page (S4's wrong order).
  case hookBeforeMarker = "hook-before-marker"
}

/// The knobs of a generated trace.
public struct WorkloadParameters: Sendable {
  public var workload: Workload
  public var pages: UInt64 = 1 << 16
  public var events: UInt64 = 1_000_000
  public var seed: UInt64 = 1
  public var architecture: ArchitectureName
  /// Folio order of the guest's memory (default 2 on s390, 9 for snp).
  public var folioOrder: Int
  /// Known races to put in (`--with`); none by default.
  public var races: Set<KnownRace> = []

  public init(workload: Workload) {
    self.workload = workload
    architecture = workload.defaultArchitecture
    folioOrder = workload == .snp ? 9 : 2
  }

  /// The page count is a multiple of this: whole folios (of each of the
  /// three regions, for `mixed`).
  public var pageUnit: UInt64 {
    (UInt64(1) << UInt64(max(0, min(folioOrder, TraceReader.Limits.maxOrder)))) * (workload == .mixed ? 3 : 1)
  }

  /// Rounds `pages` down to a multiple of `pageUnit` (up to one unit, if
  /// smaller), so that any `--pages N` is taken; the message says what it
  /// became, nil if nothing changed.
  public mutating func roundPages() -> String? {
    guard folioOrder >= 0 && folioOrder <= TraceReader.Limits.maxOrder, pages % pageUnit != 0 || pages == 0 else { return nil }
    let asked = pages
    pages = max(pageUnit, pages - pages % pageUnit)
    return "--pages \(asked) rounded to \(pages), a multiple of \(pageUnit) (\(workload == .mixed ? "three regions of " : "")folios of order \(folioOrder))"
  }

  /// Checks the combination; the message says what to change.
  public func validate() -> String? {
    if workload == .snp && architecture != .sevSNP {
      return "workload snp needs --arch sev-snp"
    }
    if workload != .snp && architecture != .s390PV {
      return "workload \(workload.rawValue) is written for --arch s390-pv (use workload snp for sev-snp)"
    }
    if folioOrder < 0 || folioOrder > TraceReader.Limits.maxOrder {
      return "--folio-order must be 0 to \(TraceReader.Limits.maxOrder)"
    }
    if pages < pageUnit || pages % pageUnit != 0 {
      return "--pages must be a positive multiple of \(pageUnit) (\(workload == .mixed ? "three regions of " : "")folios of order \(folioOrder)); roundPages() makes it one"
    }
    if pages > TraceReader.Limits.declaredPages {
      return "--pages may be at most \(TraceReader.Limits.declaredPages)"
    }
    if workload == .snp && folioOrder < 9 && pages < 512 {
      return "workload snp needs at least 512 pages"
    }
    return nil
  }
}
