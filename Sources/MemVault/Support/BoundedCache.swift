/// A cache that never holds more than `capacity` entries, with O(1) lookups and inserts.
///
/// Two generations: entries go into `recent`; when it holds half the capacity it becomes `older` (and the previous
/// `older` is dropped). A hit in `older` moves the entry back to `recent`. Entries used within the last half-capacity
/// inserts stay; the rest age out. Not thread-safe: keep it behind the owner's lock.
struct BoundedCache<Key: Hashable, Value> {
    let capacity: Int
    private var recent: [Key: Value] = [:]
    private var older: [Key: Value] = [:]

    init(capacity: Int) {
        precondition(capacity >= 2, "a bounded cache needs room for at least two entries")
        self.capacity = capacity
    }

    var count: Int { recent.count + older.count }

    mutating func value(forKey key: Key) -> Value? {
        if let value = recent[key] { return value }
        guard let value = older.removeValue(forKey: key) else { return nil }
        insert(value, forKey: key)
        return value
    }

    mutating func insert(_ value: Value, forKey key: Key) {
        if recent[key] == nil, recent.count >= capacity / 2 {
            older = recent
            recent = [:]
        }
        recent[key] = value
        older.removeValue(forKey: key)
    }

    mutating func removeValue(forKey key: Key) {
        recent.removeValue(forKey: key)
        older.removeValue(forKey: key)
    }

    mutating func removeAll(where shouldRemove: (Key) -> Bool) {
        recent = recent.filter { !shouldRemove($0.key) }
        older = older.filter { !shouldRemove($0.key) }
    }

    mutating func removeAll() {
        recent = [:]
        older = [:]
    }
}
