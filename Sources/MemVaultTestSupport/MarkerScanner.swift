import Foundation

/// Looks for a marker string in bytes in every encoding an accidental leak might use: UTF-8, UTF-16 (both byte
/// orders), hex (both cases) and base64.
package struct MarkerScanner {
    package let markers: [String]

    package init(markers: [String]) {
        self.markers = markers
    }

    package func forms(of marker: String) -> [[UInt8]] {
        let utf8 = Array(marker.utf8)
        let hex = utf8.map { String(format: "%02x", $0) }.joined()
        return [
            utf8,
            Array(marker.data(using: .utf16LittleEndian)!),
            Array(marker.data(using: .utf16BigEndian)!),
            Array(hex.utf8),
            Array(hex.uppercased().utf8),
            // base64 of the marker without its last few bytes, so alignment with surrounding data does not matter.
            Array(Data(utf8.prefix(utf8.count / 3 * 3)).base64EncodedString().utf8),
        ]
    }

    /// Every (marker, where) pair found.
    package func scan(_ files: [String: [UInt8]]) -> [String] {
        var found: [String] = []
        for (name, bytes) in files {
            for marker in markers where forms(of: marker).contains(where: { bytes.contains(subsequence: $0) }) {
                found.append("\(marker) in \(name)")
            }
        }
        return found.sorted()
    }
}
