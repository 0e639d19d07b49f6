/// The confidential-computing architectures a trace can name with `arch`.
public enum ArchitectureName: String, CaseIterable, Sendable, Hashable {
  case s390PV = "s390-pv"
  case sev = "sev"
  case sevSNP = "sev-snp"

  /// The initial page states `memory ... state=` accepts, and the default first.
  public var initialStates: [InitialState] {
    switch self {
    case .s390PV: return [.nonsecure, .secure, .shared, .pinnedShared, .exported]
    case .sev, .sevSNP: return [.shared, .private]
    }
  }
}

/// The initial state of declared pages (`memory ... state=S`).
public enum InitialState: String, CaseIterable, Sendable, Hashable {
  case nonsecure, secure, shared
  case pinnedShared = "pinned-shared"
  case exported
  case `private`
}

/// What backs a memory block; decides the baseline references of its folios.
public enum Backing: String, CaseIterable, Sendable, Hashable {
  /// Anonymous memory of the VMM: one reference per mapped page.
  case anon
  /// Page cache: one per mapped page plus one for the mapping.
  case file
  /// shmem: as `file`.
  case shmem
  /// guest_memfd (sev, sev-snp only): one per page held by its page cache.
  case gmem
}

/// Who an actor is. Verbs imply a kind; host actors may also use cpu and device verbs.
public enum ActorKind: String, CaseIterable, Sendable, Hashable {
  case guest, host, device, cpu
}
