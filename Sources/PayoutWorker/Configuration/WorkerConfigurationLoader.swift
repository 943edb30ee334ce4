import DollrClient
import Foundation

/// Builds a ``WorkerConfiguration`` from defaults, then an optional JSON file, then the environment
/// (which wins). Loading is all-or-nothing: it returns a complete, checked configuration or throws a
/// ``ConfigurationError`` naming the offending key, so a worker never half-starts on a bad setting.
///
/// The file's keys are snake_case and nested like the type (`engine.poll_budget_ms`). Unknown keys
/// are errors; members whose name starts with `//` are comments. Empty environment variables count
/// as unset. A `PAYOUT_*` variable the loader does not know is an error, so a misspelt override is
/// never silently ignored. See `config/payout-worker.example.json` and docs/configuration.md for every key.
public enum WorkerConfigurationLoader {
    /// librdkafka properties from the environment: `PAYOUT_KAFKA_PROPERTY_SASL_USERNAME=...` sets
    /// `sasl.username` in `kafka.properties` (lower-cased, `_` becomes `.`), for consumer and producer.
    /// `PAYOUT_KAFKA_PROPERTY_<NAME>_FILE` reads the value from a file instead (`sasl.password`).
    /// No librdkafka property name ends in `.file`, so the suffix cannot hide a real property.
    public static let kafkaPropertyPrefix = "PAYOUT_KAFKA_PROPERTY_"

    /// The suffix of a variable whose value is the path of a file holding the value.
    static let fileSuffix = SecretFile.suffix

    /// Secrets that may be read from a file instead: variable -> its `_FILE` variable. The merchant's come from
    /// `MerchantCredentials`, so that the sandbox reads the same ones; the store URL is one too: a PostgreSQL
    /// URL carries the password.
    static let secretFiles: [(variable: String, fileVariable: String)] =
        MerchantCredentials.secretFileVariables + [
            ("PAYOUT_STORE_URL", "PAYOUT_STORE_URL" + Self.fileSuffix),
            ("PAYOUT_ADMIN_TOKEN", "PAYOUT_ADMIN_TOKEN" + Self.fileSuffix),
        ]

    /// Every environment variable the loader reads, apart from the ``kafkaPropertyPrefix`` family.
    public static let environmentKeys: Set<String> = Set(
        WorkerConfiguration.settings.compactMap(\.environment) + Self.secretFiles.map(\.fileVariable)
    )

    /// Whether `name` is read by the loader (one of ``environmentKeys`` or a Kafka property variable).
    public static func reads(environmentKey name: String) -> Bool {
        Self.environmentKeys.contains(name)
            || (name.hasPrefix(Self.kafkaPropertyPrefix) && name.count > Self.kafkaPropertyPrefix.count)
    }

    /// Loads the configuration.
    /// - Parameters:
    ///   - file: path of a JSON configuration file, or `nil` for defaults and environment only.
    ///   - environment: usually `ProcessInfo.processInfo.environment`.
    public static func load(
        file: String?,
        environment: [String: String]
    ) throws(ConfigurationError)
        -> WorkerConfiguration
    {
        var configuration = WorkerConfiguration()
        var keysInFile: Set<String> = []
        if let file {
            keysInFile = try Self.applyFile(at: file, to: &configuration)
        }
        try Self.applyEnvironment(environment, to: &configuration)
        try Self.checkRelations(&configuration, keysInFile: keysInFile)
        return configuration
    }

    // MARK: File

    /// Applies every member of the file; returns the setting paths it contained.
    private static func applyFile(
        at path: String,
        to configuration: inout WorkerConfiguration
    )
        throws(ConfigurationError) -> Set<String>
    {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(.file(path), key: "", reason: "cannot be read (missing, or not permitted)")
        }
        let document: JSONValue
        do {
            // A key given twice would silently lose one of its values: refuse it.
            document = try JSONParser.parse([UInt8](data), duplicateNames: .refuseNamingIt)
        } catch {
            throw ConfigurationError(.file(path), key: "", reason: error.description)
        }
        guard case .object(let root) = document else {
            throw ConfigurationError(.file(path), key: "", reason: "must be a JSON object, got \(document.typeName)")
        }
        let settings = WorkerConfiguration.settings
        let byPath = Dictionary(uniqueKeysWithValues: settings.map { ($0.path, $0) })
        var sections: Set<String> = []
        for setting in settings {
            var parts = setting.path.split(separator: ".").dropLast()
            while !parts.isEmpty {
                sections.insert(parts.joined(separator: "."))
                parts = parts.dropLast()
            }
        }
        var applied: Set<String> = []

        func walk(_ object: JSONObject, prefix: String) throws(ConfigurationError) {
            for member in object.members {
                // JSON has no comments; members named "//..." carry the documentation of the example file.
                if member.key.hasPrefix("//") { continue }
                let key = prefix.isEmpty ? member.key : "\(prefix).\(member.key)"
                if let setting = byPath[key] {
                    do {
                        try setting.apply(&configuration, .json(member.value))
                    } catch {
                        throw ConfigurationError(
                            .file(path),
                            key: error.subkey.map { "\(key).\($0)" } ?? key,
                            reason: error.reason
                        )
                    }
                    applied.insert(key)
                } else if sections.contains(key) {
                    guard case .object(let section) = member.value else {
                        throw ConfigurationError(
                            .file(path),
                            key: key,
                            reason: "expected an object, got \(member.value.typeName)"
                        )
                    }
                    try walk(section, prefix: key)
                } else {
                    let known =
                        (byPath.keys.filter { Self.parent(of: $0) == prefix }
                        + sections.filter { Self.parent(of: $0) == prefix })
                        .map { prefix.isEmpty ? $0 : String($0.dropFirst(prefix.count + 1)) }
                        .sorted()
                    throw ConfigurationError(
                        .file(path),
                        key: key,
                        reason: "unknown key; known keys \(prefix.isEmpty ? "at the top level" : "in \(prefix)"): "
                            + known.joined(separator: ", ")
                    )
                }
            }
        }
        try walk(root, prefix: "")
        return applied
    }

    private static func parent(of path: String) -> String {
        guard let dot = path.lastIndex(of: ".") else { return "" }
        return String(path[..<dot])
    }

    // MARK: Environment

    private static func applyEnvironment(
        _ environment: [String: String],
        to configuration: inout WorkerConfiguration
    )
        throws(ConfigurationError)
    {
        let byVariable = Dictionary(
            uniqueKeysWithValues: WorkerConfiguration.settings.compactMap { setting in
                setting.environment.map { ($0, setting) }
            }
        )
        let fileVariables = Set(Self.secretFiles.map(\.fileVariable))
        // Sorted, so that with several bad variables the same one is reported every time.
        for name in environment.keys.sorted() {
            guard let value = environment[name], !value.isEmpty else { continue }
            if let setting = byVariable[name] {
                try Self.apply(setting, .text(value), from: name, to: &configuration)
            } else if name.hasPrefix(Self.kafkaPropertyPrefix) {
                var suffix = name.dropFirst(Self.kafkaPropertyPrefix.count)
                let fromFile = suffix.hasSuffix(Self.fileSuffix)
                if fromFile { suffix = suffix.dropLast(Self.fileSuffix.count) }
                guard !suffix.isEmpty else {
                    throw ConfigurationError(
                        .environment,
                        key: name,
                        reason: "needs a property name, e.g. \(Self.kafkaPropertyPrefix)SECURITY_PROTOCOL"
                    )
                }
                var value = value
                if fromFile, let secret = try Self.secret(Self.kafkaPropertyPrefix + suffix, in: environment) {
                    value = secret
                }
                let property = suffix.lowercased().replacingOccurrences(of: "_", with: ".")
                do {
                    try ConfigurationRules.librdkafkaProperty(property, value, subkey: nil)
                } catch {
                    throw ConfigurationError(.environment, key: name, reason: error.reason)
                }
                configuration.kafka.properties[property] = value
                // The environment wins over the file, also over its consumer- and producer-only maps.
                configuration.kafka.consumerProperties[property] = nil
                configuration.kafka.producerProperties[property] = nil
            } else if fileVariables.contains(name) {
                continue  // below, once per secret
            } else if name.hasPrefix("PAYOUT_") {
                throw ConfigurationError(
                    .environment,
                    key: name,
                    reason: "is not a setting payout-worker reads; known: "
                        + Self.environmentKeys.filter { $0.hasPrefix("PAYOUT_") }.sorted().joined(separator: ", ")
                        + ", \(Self.kafkaPropertyPrefix)<NAME>, \(Self.kafkaPropertyPrefix)<NAME>\(Self.fileSuffix)"
                )
            }
        }
        for (variable, fileVariable) in Self.secretFiles {
            // The same reader as the sandbox's (`SecretFile`), so both sides agree on every file.
            guard let setting = byVariable[variable], let secret = try Self.secret(variable, in: environment) else {
                continue
            }
            try Self.apply(setting, .text(secret), from: fileVariable, to: &configuration)
        }
    }

    /// The value `<variable>_FILE` points at (`SecretFile`, the sandbox's reader too), or `nil`
    /// when it is unset. Errors name the variable, never the file's content.
    private static func secret(
        _ variable: String,
        in environment: [String: String]
    ) throws(ConfigurationError) -> String? {
        do {
            return try SecretFile.value(of: variable, in: environment)
        } catch {
            throw ConfigurationError(.environment, key: error.variable, reason: error.reason)
        }
    }

    private static func apply(
        _ setting: ConfigurationSetting,
        _ raw: RawSetting,
        from variable: String,
        to configuration: inout WorkerConfiguration
    ) throws(ConfigurationError) {
        do {
            try setting.apply(&configuration, raw)
        } catch {
            throw ConfigurationError(.environment, key: variable, reason: error.reason)
        }
    }

    // MARK: Relations between settings

    private static func checkRelations(
        _ configuration: inout WorkerConfiguration,
        keysInFile: Set<String>
    ) throws(ConfigurationError) {
        let policy = configuration.engine.policy
        guard policy.pollInitialDelayMilliseconds <= policy.pollMaximumDelayMilliseconds else {
            throw ConfigurationError(
                .settings,
                key: "engine.poll_initial_delay_ms",
                reason: "must not exceed engine.poll_maximum_delay_ms "
                    + "(\(policy.pollInitialDelayMilliseconds) > \(policy.pollMaximumDelayMilliseconds))"
            )
        }
        guard policy.pollInitialDelayMilliseconds <= policy.pollBudgetMilliseconds else {
            throw ConfigurationError(
                .settings,
                key: "engine.poll_budget_ms",
                reason: "must be at least engine.poll_initial_delay_ms, or no poll would ever run "
                    + "(\(policy.pollBudgetMilliseconds) < \(policy.pollInitialDelayMilliseconds))"
            )
        }
        guard policy.retryBaseDelayMilliseconds <= policy.retryMaximumDelayMilliseconds else {
            throw ConfigurationError(
                .settings,
                key: "engine.retry_base_delay_ms",
                reason: "must not exceed engine.retry_maximum_delay_ms "
                    + "(\(policy.retryBaseDelayMilliseconds) > \(policy.retryMaximumDelayMilliseconds))"
            )
        }
        let requestTimeout = configuration.dollr.requestTimeout
        guard Duration.milliseconds(configuration.engine.leaseMilliseconds) > requestTimeout else {
            throw ConfigurationError(
                .settings,
                key: "engine.lease_ms",
                reason: "must be longer than dollr.request_timeout_ms "
                    + "(\(configuration.engine.leaseMilliseconds) <= \(requestTimeout.wholeMilliseconds)), "
                    + "or a live worker could lose a payout's lease in the middle of a Dollr call"
            )
        }
        guard Duration.milliseconds(policy.notFoundGraceMilliseconds) >= requestTimeout * 2 else {
            throw ConfigurationError(
                .settings,
                key: "engine.not_found_grace_ms",
                reason: "must be at least twice dollr.request_timeout_ms "
                    + "(\(policy.notFoundGraceMilliseconds) < 2 × \(requestTimeout.wholeMilliseconds)), "
                    + "or an execute that timed out on our side and lands late could be sent again"
            )
        }
        let kafka = configuration.kafka
        let topics = [
            ("kafka.commands_topic", kafka.commandsTopic), ("kafka.status_topic", kafka.statusTopic),
            ("kafka.dead_letter_topic", kafka.deadLetterTopic),
        ]
        for (index, (key, topic)) in topics.enumerated() {
            if let other = topics[..<index].first(where: { $0.1 == topic }) {
                throw ConfigurationError(.settings, key: key, reason: "must differ from \(other.0)")
            }
        }
        let allowed = configuration.commands.allowedCurrencies
        configuration.commands.maximumAmounts = try Self.perAllowedCurrency(
            configuration.commands.maximumAmounts,
            key: "commands.maximum_amounts",
            keysInFile: keysInFile,
            allowed: allowed
        )
        configuration.engine.policy.fallbackFeeMinimums = try Self.perAllowedCurrency(
            configuration.engine.policy.fallbackFeeMinimums,
            key: "engine.fallback_fee_minimums",
            keysInFile: keysInFile,
            allowed: allowed
        )
        if let uncovered = allowed.sorted().first(where: { configuration.engine.policy.fallbackFeeMinimums[$0] == nil })
        {
            throw ConfigurationError(
                .settings,
                key: "engine.fallback_fee_minimums.\(uncovered)",
                reason: "is missing: \(uncovered) is in commands.allowed_currencies, and without a minimum a hold "
                    + "sized when Dollr cannot predict the fee could be smaller than the fee Dollr takes"
            )
        }
    }

    /// A per-currency table given in the file must name only allowed currencies; default entries
    /// for currencies the file no longer allows are simply dropped.
    private static func perAllowedCurrency<Value>(
        _ table: [CurrencyCode: Value],
        key: String,
        keysInFile: Set<String>,
        allowed: Set<CurrencyCode>
    ) throws(ConfigurationError) -> [CurrencyCode: Value] {
        if keysInFile.contains(key), let stray = table.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw ConfigurationError(
                .settings,
                key: "\(key).\(stray)",
                reason: "\(stray) is not in commands.allowed_currencies"
            )
        }
        return table.filter { allowed.contains($0.key) }
    }
}
