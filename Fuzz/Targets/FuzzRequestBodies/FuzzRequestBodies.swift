import CatalogueFuzzChecks

/// libFuzzer entry point: see `FuzzChecks.requestBodies`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzChecks.requestBodies(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
