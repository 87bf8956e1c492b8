#ifndef MEDIA_CATALOGUE_CRC32C_H
#define MEDIA_CATALOGUE_CRC32C_H
#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of `length` bytes,
/// continuing from `crc` (pass 0 to start). Uses the SSE4.2 instruction when
/// the processor has it, a table otherwise; both give identical results.
uint32_t mc_crc32c(uint32_t crc, const void *data, size_t length);

/// The table implementation alone, so tests can check the two paths agree.
uint32_t mc_crc32c_portable(uint32_t crc, const void *data, size_t length);

#endif
