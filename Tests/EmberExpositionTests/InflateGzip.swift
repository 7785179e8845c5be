import CZlib
import XCTest

/// Decompresses a gzip member with zlib's inflate, independent of the igzip code under test.
func inflateGzip(_ compressed: [UInt8], expectedSize: Int) throws -> [UInt8] {
    var stream = z_stream()
    XCTAssertEqual(inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)), Z_OK)
    defer { inflateEnd(&stream) }

    var output = [UInt8](repeating: 0, count: expectedSize + 16)
    var compressedCopy = compressed
    let result = compressedCopy.withUnsafeMutableBufferPointer { source in
        output.withUnsafeMutableBufferPointer { target in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            stream.next_out = target.baseAddress
            stream.avail_out = uInt(target.count)
            return inflate(&stream, Z_FINISH)
        }
    }
    XCTAssertEqual(result, Z_STREAM_END)
    return Array(output[..<Int(stream.total_out)])
}
