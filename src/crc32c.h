/* CRC-32C (Castagnoli), the checksum of spool records. */
#ifndef CXPIPE_CRC32C_H
#define CXPIPE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc over n bytes; start with crc = 0. */
uint32_t	crc32c(uint32_t crc, const void *p, size_t n);

#endif
