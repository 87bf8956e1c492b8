/// The report questions a reporting tool asks, answered from the state alone:
/// from counters and facts `evolve` keeps, never by replaying the log.
extension CatalogueState {
    /// Scratch sides an application pool can take now: its own online
    /// AVAILABLE sides, and those of its media type's Free pool.
    public struct ScratchCount: Sendable, Equatable {
        public var mediaType: MediaTypeID
        public var pool: PoolID
        /// Online AVAILABLE sides in the pool itself.
        public var available: Int
        /// Online AVAILABLE sides in the media type's Free pool, which the pool
        /// draws on when it allocates from scratch (0 when it does not).
        public var fromScratch: Int
    }

    /// Online AVAILABLE sides in `pool`: read from the allocation index, so
    /// the cost does not depend on how many media the catalogue holds.
    public func availableSideCount(in pool: PoolID) -> Int { availableSides[pool]?.count ?? 0 }

    /// Scratch per media type and pool: every pool that holds media (Free and
    /// Import pools included), in path order.
    public func scratchCounts() -> [ScratchCount] {
        pools.values.compactMap { pool -> ScratchCount? in
            guard let type = pool.mediaType.flatMap({ mediaTypes[$0] }) else { return nil }
            let drawsOnFree = pool.type == .application && pool.policy.allocateFromScratch
            return ScratchCount(
                mediaType: type.id, pool: pool.id, available: availableSideCount(in: pool.id),
                fromScratch: drawsOnFree ? availableSideCount(in: type.freePool) : 0)
        }.sorted { (pools[$0.pool]?.path ?? "") < (pools[$1.pool]?.path ?? "") }
    }

    /// Application pools that can allocate fewer than `minimum` sides now,
    /// counting what they may draw from scratch.
    public func poolsBelow(minimum: Int) -> [ScratchCount] {
        scratchCounts().filter { pools[$0.pool]?.type == .application && $0.available + $0.fromScratch < minimum }
    }

    /// A side with `remaining` allocations left before its pool's maximum decommissions it.
    public struct SideNearLimit: Sendable, Equatable {
        public var side: SideID
        public var pool: PoolID
        public var allocateCount: UInt32
        public var maxAllocates: UInt32
        public var remaining: UInt32 { maxAllocates > allocateCount ? maxAllocates - allocateCount : 0 }
    }

    /// Sides in pools with a maximum whose allocations left are at most
    /// `within`, fewest left first. Decommissioned sides are done and left out.
    public func sidesNearMaxAllocates(within: UInt32) -> [SideNearLimit] {
        var found: [SideNearLimit] = []
        for medium in media.values {
            guard let limit = pools[medium.pool]?.policy.maxAllocates, limit > 0 else { continue }
            for side in self.sides(of: medium) where side.state != .decommissioned {
                let entry = SideNearLimit(
                    side: side.id, pool: medium.pool, allocateCount: side.allocateCount, maxAllocates: limit)
                if entry.remaining <= within { found.append(entry) }
            }
        }
        return found.sorted { ($0.remaining, $0.side) < ($1.remaining, $1.side) }
    }

    /// Media not mounted for use since `cutoff` (nanoseconds since 1970),
    /// never-mounted ones first, then the longest idle.
    public func mediaIdle(since cutoff: Int64) -> [Medium] {
        media.values.filter { (mediumUsage[$0.id]?.lastMounted ?? .min) < cutoff }
            .sorted { lhs, rhs in
                let (left, right) = (mediumUsage[lhs.id]?.lastMounted ?? .min, mediumUsage[rhs.id]?.lastMounted ?? .min)
                return left == right ? lhs.id < rhs.id : left < right
            }
    }

    /// Open operator requests, oldest first.
    public func openRequests() -> [OperatorRequest] {
        openRequestIDs.compactMap { requests[$0] }.sorted { ($0.submitted, $0.id) < ($1.submitted, $1.id) }
    }

    /// A drive's use: its busy time up to `now` (a current use counted to `now`)
    /// against the time since its library was added.
    public struct DriveUtilisation: Sendable, Equatable {
        public var drive: DriveAddress
        public var mounts: UInt32
        public var busyNanoseconds: Int64
        public var elapsedNanoseconds: Int64
        /// Busy time over elapsed time, 0 to 1.
        public var utilisation: Double {
            elapsedNanoseconds > 0 ? min(1, Double(busyNanoseconds) / Double(elapsedNanoseconds)) : 0
        }
    }

    public func driveUtilisation(at now: Int64) -> [DriveUtilisation] {
        drives.values.sorted { $0.address < $1.address }.map { drive in
            let current = drive.busySince.map { max(0, now &- $0) } ?? 0
            let added = libraries[drive.address.library]?.added ?? now
            return DriveUtilisation(
                drive: drive.address, mounts: drive.mountCount, busyNanoseconds: drive.busyNanoseconds &+ current,
                elapsedNanoseconds: max(0, now &- added))
        }
    }
}
