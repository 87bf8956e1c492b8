import CatalogueFuzzChecks

/// libFuzzer entry point: see `FuzzChecks.mtxStatus`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzChecks.mtxStatus(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
