import Foundation
import MemVault

/// A reader for the `safetensors` format (an 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and byte range, then the data), bounds-checked throughout: a file that lies about a length, a range
/// or a shape is refused with what was wrong, never read past. Only `F32` tensors are read; others may be present.
struct SafeTensors {
    struct Entry: Equatable {
        let dtype: String
        let shape: [Int]
        /// The tensor's bytes, relative to the start of the data section.
        let bytes: Range<Int>
    }

    let entries: [String: Entry]
    private let data: [UInt8]
    private let dataStart: Int

    /// Headers beyond this are refused: the model's is about 11 KB.
    static let maximumHeaderSize = 16 << 20

    init(_ file: [UInt8], name: String = "safetensors file") throws {
        func invalid(_ reason: String) -> MemVaultError {
            MemVaultError(.embedderUnavailable, "\(name) is not a valid safetensors file: \(reason)")
        }
        guard file.count >= 8 else { throw invalid("shorter than its 8-byte header length") }
        let headerSize = file[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard headerSize <= UInt64(Self.maximumHeaderSize), Int(headerSize) <= file.count - 8 else {
            throw invalid("a header of \(headerSize) bytes in a file of \(file.count)")
        }
        let header = Data(file[8..<(8 + Int(headerSize))])
        guard let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw invalid("the header is not a JSON object")
        }
        let dataStart = 8 + Int(headerSize)
        let dataSize = file.count - dataStart
        var entries: [String: Entry] = [:]
        for (name, value) in object where name != "__metadata__" {
            guard let fields = value as? [String: Any], let dtype = fields["dtype"] as? String,
                let shape = fields["shape"] as? [Int], let offsets = fields["data_offsets"] as? [Int],
                offsets.count == 2, shape.allSatisfy({ $0 >= 0 })
            else { throw invalid("tensor '\(name)' lacks a dtype, a shape or two data offsets") }
            guard 0 <= offsets[0], offsets[0] <= offsets[1], offsets[1] <= dataSize else {
                throw invalid("tensor '\(name)' spans bytes \(offsets[0])..<\(offsets[1]) of \(dataSize)")
            }
            let (elements, overflow) = shape.reduce((1, false)) { partial, dimension in
                let (product, overflow) = partial.0.multipliedReportingOverflow(by: dimension)
                return (product, partial.1 || overflow)
            }
            if let width = Self.elementWidth[dtype],
                overflow || elements.multipliedReportingOverflow(by: width).partialValue != offsets[1] - offsets[0]
            {
                throw invalid("tensor '\(name)' has shape \(shape) but \(offsets[1] - offsets[0]) bytes of \(dtype)")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, bytes: offsets[0]..<offsets[1])
        }
        let ranges = entries.values.map(\.bytes).sorted { $0.lowerBound < $1.lowerBound }
        for (first, second) in zip(ranges, ranges.dropFirst()) where first.overlaps(second) {
            throw invalid("two tensors share bytes \(second.lowerBound)..<\(min(first.upperBound, second.upperBound))")
        }
        self.entries = entries
        self.data = file
        self.dataStart = dataStart
    }

    private static let elementWidth = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
    ]

    /// A float tensor's values in row-major order, after checking its shape.
    func floats(_ name: String, shape: [Int]) throws -> [Float] {
        guard let entry = entries[name] else {
            throw MemVaultError(.embedderUnavailable, "the model has no tensor '\(name)'")
        }
        guard entry.dtype == "F32", entry.shape == shape else {
            throw MemVaultError(
                .embedderUnavailable,
                "tensor '\(name)' is \(entry.dtype) \(entry.shape); expected F32 \(shape)")
        }
        let start = dataStart + entry.bytes.lowerBound
        return (0..<(entry.bytes.count / 4)).map { index in
            let at = start + index * 4
            let bits =
                UInt32(data[at]) | UInt32(data[at + 1]) << 8 | UInt32(data[at + 2]) << 16 | UInt32(data[at + 3]) << 24
            return Float(bitPattern: bits)
        }
    }
}
