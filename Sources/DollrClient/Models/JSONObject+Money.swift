extension JSONObject {
    /// An amount member plus its currency member, decoded exactly.
    package func money(amount amountKey: String, currency currencyKey: String) throws(JSONShapeError) -> Money {
        guard let money = try self.optionalMoney(amount: amountKey, currency: currencyKey) else {
            throw JSONShapeError(field: amountKey, expected: "an amount")
        }
        return money
    }

    /// `nil` when the amount or its currency is missing or `null`.
    package func optionalMoney(
        amount amountKey: String,
        currency currencyKey: String
    ) throws(JSONShapeError)
        -> Money?
    {
        guard let text = try self.optionalDecimalText(amountKey),
            let code = try self.optionalString(currencyKey)
        else {
            return nil
        }
        let currency = try self.currency(code, field: currencyKey)
        do {
            return try Money(parsing: text, currency: currency)
        } catch {
            throw JSONShapeError(field: amountKey, expected: "an exact \(currency) amount (\(error))")
        }
    }

    /// An amount member in a currency known from elsewhere.
    package func optionalMoney(amount amountKey: String, currency: CurrencyCode) throws(JSONShapeError) -> Money? {
        guard let text = try self.optionalDecimalText(amountKey) else { return nil }
        do {
            return try Money(parsing: text, currency: currency)
        } catch {
            throw JSONShapeError(field: amountKey, expected: "an exact \(currency) amount (\(error))")
        }
    }

    package func currency(_ code: String, field: String) throws(JSONShapeError) -> CurrencyCode {
        do {
            return try CurrencyCode(code)
        } catch {
            throw JSONShapeError(field: field, expected: "a currency code")
        }
    }
}
