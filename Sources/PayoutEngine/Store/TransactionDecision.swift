/// What a store transaction body decided: keep its writes, or undo them and still report a result
/// (a lost lease or an uncovered hold is an answer, not an error, yet must write nothing).
enum TransactionDecision<Value: Sendable>: Sendable {
    case commit(Value)
    case rollback(Value)
}
