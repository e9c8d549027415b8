import Testing

@testable import MemVault

@Suite("Bounded cache")
struct BoundedCacheTests {
    @Test("never holds more than its capacity; recently used entries stay, the rest age out")
    func bounded() {
        var cache = BoundedCache<Int, String>(capacity: 8)
        for key in 0..<100 {
            cache.insert("\(key)", forKey: key)
            #expect(cache.count <= 8)
            // Key 0 is used after every insert: it never ages out.
            #expect(cache.value(forKey: 0) == "0", "lost the hot entry after inserting \(key)")
        }
        #expect(cache.value(forKey: 99) == "99")
        #expect(cache.value(forKey: 50) == nil)
        cache.removeValue(forKey: 0)
        #expect(cache.value(forKey: 0) == nil)
        cache.removeAll { $0 > 95 }
        #expect(cache.value(forKey: 99) == nil)
        cache.removeAll()
        #expect(cache.count == 0)
    }

    @Test("a value replaced under the same key is the one returned")
    func replace() {
        var cache = BoundedCache<String, Int>(capacity: 4)
        cache.insert(1, forKey: "a")
        cache.insert(2, forKey: "b")
        cache.insert(3, forKey: "c")
        cache.insert(4, forKey: "a")
        #expect(cache.value(forKey: "a") == 4)
        #expect(cache.count <= 4)
    }
}
