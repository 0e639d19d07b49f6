import PageStateTrace

/// What `pagestate import` is asked to do (docs/import.md).
public struct ImportOptions: Sendable {
  /// The input format; nil detects it from the first lines.
  public var format: KernelTraceFormat?
  /// The architecture the trace is replayed under.
  public var architecture: ArchitectureName = .s390PV
  /// The confidential guest laid over host memory, if any.
  public var guest: GuestSelection?
  /// Whether the guest shares the pages the host does I/O on (`--guest-io`).
  public var guestIO: GuestIO = .shared
  /// The first line the importer does not understand is an error.
  public var strict = false
  /// `vmemmap_base`, when the trace does not record it (`vmemmap=` fields do).
  public var vmemmap: UInt64?
  /// The kernel release the trace comes from (`6.1`, `6.12.95`): decides
  /// the FOLL_* bit layout; nil learns it from the flags the trace shows.
  public var kernel: String?
  /// `sizeof(struct page)`.
  public var structPageSize: UInt64 = 64

  public init() {}

  /// Whether `text` reads as a kernel release (`6.1`, `6.12.95+deb12-amd64`).
  public static func isRelease(_ text: String) -> Bool {
    GUPFlags.layout(release: text) != nil
  }
}

/// Which pages belong to the protected guest (`--guest`).
public enum GuestSelection: Sendable, Equatable {
  /// Every anonymous page the trace touches (the VMM's guest RAM is anonymous memory).
  case anonymous
  /// Every page the trace touches.
  case all
  /// Pages in these ranges (pfns).
  case ranges([PageRange])

  /// Parses `anon`, `all`, or comma-separated pfn ranges (`P`, `P..Q`, `P-Q`, `P+N`).
  public static func parse(_ text: String) -> GuestSelection? {
    switch text {
    case "anon", "anonymous": return .anonymous
    case "all": return .all
    default: break
    }
    var ranges: [PageRange] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      func number(_ s: Substring) -> UInt64? {
        let t = s.lowercased()
        let v = t.hasPrefix("0x") ? UInt64(t.dropFirst(2), radix: 16) : UInt64(t)
        guard let v, v < TraceReader.Limits.pageNumberLimit else { return nil }
        return v
      }
      if let r = part.firstRange(of: "..") ?? part.firstRange(of: "-") {
        guard let a = number(part[..<r.lowerBound]), let b = number(part[r.upperBound...]), a <= b else { return nil }
        ranges.append(PageRange(first: a, count: b - a + 1))
      } else if let plus = part.firstIndex(of: "+") {
        guard let a = number(part[..<plus]), let n = number(part[part.index(after: plus)...]), n >= 1,
          a + n <= TraceReader.Limits.pageNumberLimit
        else { return nil }
        ranges.append(PageRange(first: a, count: n))
      } else {
        guard let a = number(part) else { return nil }
        ranges.append(PageRange(first: a, count: 1))
      }
    }
    return ranges.isEmpty ? nil : .ranges(ranges.sorted { $0.first < $1.first })
  }

  func contains(page: UInt64, anonymous: Bool) -> Bool {
    switch self {
    case .anonymous: return anonymous
    case .all: return true
    case .ranges(let rs): return rs.contains { $0.contains(page) }
    }
  }
}

/// `--guest-io`: what the guest does with a page before the host's first I/O on it.
public enum GuestIO: String, Sendable, CaseIterable {
  /// It shares the page first, as a protected guest does with every buffer
  /// it hands to the host (s390 `share`: UV SET_SHARED_ACCESS; SEV `psc shared`).
  case shared
  /// It does not: the host does I/O on memory the guest keeps secure, and the
  /// replay shows which host paths make such a page accessible first.
  case secure
}
