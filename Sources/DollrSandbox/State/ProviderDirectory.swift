import DollrClient

/// Which operator serves a number, by MSISDN prefix (Liberia 231, Rwanda 250). Undocumented in detail by Dollr;
/// the sandbox's own plausible table.
enum ProviderDirectory {
    struct Entry {
        var prefixes: [String]
        var carrier: String
        var country: String
        var currencies: [String]
        var method: PaymentMethod
        var gateway: PaymentProvider
    }

    static let entries = [
        Entry(
            prefixes: ["23177", "23176"],
            carrier: "Orange Liberia",
            country: "LR",
            currencies: ["USD", "LRD"],
            method: .orangeMoneyLiberia,
            gateway: .orangeMoneyLiberia
        ),
        Entry(
            prefixes: ["23188", "23155"],
            carrier: "Lonestar Cell MTN",
            country: "LR",
            currencies: ["USD", "LRD"],
            method: .mtnMomoLiberia,
            gateway: .mtnMomoLiberia
        ),
        Entry(
            prefixes: ["25078", "25079"],
            carrier: "MTN Rwanda",
            country: "RW",
            currencies: ["RWF"],
            method: .mtnMomoRwanda,
            gateway: .pawaPay
        ),
        Entry(
            prefixes: ["25072", "25073"],
            carrier: "Airtel Rwanda",
            country: "RW",
            currencies: ["RWF"],
            method: .airtelRwanda,
            gateway: .pawaPay
        ),
    ]

    static func lookup(_ phone: PhoneNumber) -> Entry? {
        self.entries.first { entry in entry.prefixes.contains { phone.revealed.hasPrefix($0) } }
    }
}
