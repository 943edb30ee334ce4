import Synchronization

/// A thread-safe weak reference, for callbacks that must reach an object without keeping it alive.
final class WeakReference<Object: AnyObject & Sendable>: Sendable {
    private struct Box: @unchecked Sendable {
        // Safe: only read and written under `box`'s lock, and the object itself is Sendable.
        weak var object: Object?
    }

    private let box = Mutex(Box())

    init() {}

    var value: Object? {
        get { box.withLock { $0.object } }
        set { box.withLock { $0.object = newValue } }
    }
}
