extension Duration {
    /// Whole milliseconds, rounded toward zero: the unit the engine and its store count time in.
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
