import DollrClient

/// What an operator may see of a payout's stored state: its progress, Dollr's ids and answers,
/// and the recipient masked. The state document itself is never shown as it is: until the payout
/// account exists it holds the recipient's phone number.
public struct PayoutOperatorView: Sendable, Hashable {
    /// The recipient as far as an operator needs it to tell payouts apart.
    public struct Recipient: Sendable, Hashable {
        /// Each word of the account name cut to its first letter: `J*** D***`.
        public var maskedName: String
        /// All but the last four digits hidden, or nil once the phone has been dropped.
        public var maskedPhone: String?
        public var provider: String
        public var method: String
    }

    public var phase: String
    public var reason: PayoutReason?
    /// Dollr's latest answer about the payout (`PENDING`, `COMPLETED`, ...).
    public var providerStatus: String?
    public var providerTransactionID: String?
    public var payoutAccountID: Int?
    public var sessionID: String?
    public var walletID: String?
    public var holdMinor: Int64?
    public var feeMinor: Int64?
    public var executeAttempts: Int
    public var polls: Int
    public var reviewSince: Int64?
    public var recipient: Recipient?
    /// The command's metadata as upstream sent it: free text, to be escaped wherever it is shown.
    public var metadata: [String: String]

    /// Nil if the stored state cannot be read.
    public init?(_ payout: StoredPayout) {
        guard let state = try? PayoutState.decode(payout.state) else { return nil }
        phase = state.phase.rawValue
        reason = state.reason
        providerStatus = state.providerStatus
        providerTransactionID = state.providerTransactionID
        payoutAccountID = state.payoutAccountID ?? state.request.payoutAccountID
        sessionID = state.sessionID
        walletID = state.walletID
        holdMinor = state.holdMinor
        feeMinor = state.feeMinor
        executeAttempts = state.executeAttempts
        polls = state.polls
        reviewSince = state.reviewSince
        metadata = state.request.metadata
        let phone = state.recipientPhone
        recipient = state.request.recipient.map { recipient in
            Recipient(
                maskedName: Self.mask(name: recipient.accountName),
                maskedPhone: phone?.description,
                provider: recipient.provider,
                method: recipient.method
            )
        }
    }

    static func mask(name: String) -> String {
        name.split(separator: " ").map { word in "\(word.prefix(1))\(String(repeating: "*", count: 3))" }.joined(
            separator: " "
        )
    }
}
