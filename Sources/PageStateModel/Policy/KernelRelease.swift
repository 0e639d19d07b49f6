/// A kernel release for the `kernel=` knob: the rules of that release where
/// they differ between releases (docs/model-s390.md, "Rules by kernel
/// release"). Without the knob the model keeps its release-independent rules.
///
/// Accepted: `6.10` to `6.19`, and `next` (mainline after 6.19, 7.0-rc).
public struct KernelRelease: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// The minor number of a 6.x release; `next` is 100.
  public let minor: Int

  public static let next = KernelRelease(minor: 100)

  init(minor: Int) { self.minor = minor }

  /// `6.11`, `next`, or nil.
  public init?(_ text: String) {
    if text == "next" {
      self = .next
      return
    }
    guard text.hasPrefix("6."), let n = Int(text.dropFirst(2)), (10...19).contains(n), text == "6.\(n)" else { return nil }
    minor = n
  }

  public static let names = (10...19).map { "6.\($0)" } + ["next"]

  public var description: String { self == .next ? "next" : "6.\(minor)" }

  public static func < (a: KernelRelease, b: KernelRelease) -> Bool { a.minor < b.minor }

  /// `gmap_make_secure()` splits a large folio (-E2BIG, `split_folio()`)
  /// instead of refusing it with -EINVAL: eef88fe45ac9, 6.11.
  public var splitsLargeFolios: Bool { minor >= 11 }

  /// Imports go through `make_hva_secure()`: -EBUSY (a reference the freeze
  /// found, or PG_writeback) calls `s390_wiggle_split_folio()`, which does
  /// `folio_wait_writeback()` and `lru_add_drain_all()` every time, and
  /// returns -EAGAIN (5cbe24350b7d "KVM: s390: move pv gmap functions into
  /// kvm", the kvm-s390 pull for 6.15). Before: `gmap_make_secure()` with
  /// `drain_lru()`: `lru_add_drain()` and an immediate retry, then
  /// `lru_add_drain_all()` and -EAGAIN, for references only.
  public var drainsOnEveryBusy: Bool { minor >= 15 }

  /// A kernel-mode PGM 0x3d exports with `uv_convert_from_secure()` without
  /// testing PG_arch_1 and fixes the access up with `handle_fault_error_nolock()`
  /// instead of `BUG()` (b00be77302d7, Janosch Frank, March 2026; mainline
  /// after 6.19, backported to 6.19.y stable).
  public var kernelFaultExports: Bool { self == .next }
}
