import PayoutEngine

/// The `result` label of `payout_commands_total`: an ``IntakeResult`` without its payload.
enum IntakeResultKind: String, CaseIterable, Sendable {
    case accepted, duplicate, rejected, conflict, invalid, redelivered

    init(_ result: IntakeResult) {
        switch result {
        case .accepted: self = .accepted
        case .duplicate: self = .duplicate
        case .rejected: self = .rejected
        case .conflict: self = .conflict
        case .invalid: self = .invalid
        case .redelivered: self = .redelivered
        }
    }
}
