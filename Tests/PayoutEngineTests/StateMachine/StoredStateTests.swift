import Foundation
import Testing

@testable import PayoutEngine

/// Payouts stay in a store across releases: a state document written by the engine must read back
/// as the same payout, in the same phase, and be written back unchanged.
@Suite("Stored state documents")
struct StoredStateTests {
    static func document(_ name: String) -> String? {
        StoredStateFixtures.documents.first { $0.key == name }?.value
    }

    @Test(
        "a stored document reads back in its phase and is written back byte for byte",
        arguments: StoredStateFixtures.documents.map(\.key)
    )
    func roundTrip(name: String) throws {
        let document = try #require(Self.document(name))
        let state = try PayoutState.decode(document)
        #expect(state.phase.rawValue == name.split(separator: ".").last.map(String.init))
        #expect(state.encoded() == document)
    }
}
