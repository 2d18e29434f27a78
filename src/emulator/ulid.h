/*
 * ULIDs: the 26-character ids of API.md (48-bit millisecond time, 80 random bits, in
 * Crockford base32, e.g. 01W4FFL35P4NC4K35WEBHOOK004 without the I, L, O, U letters).
 */
#ifndef EMU_ULID_H
#define EMU_ULID_H

#include <stdbool.h>
#include <stdint.h>

#define EMU_ULID_LEN 26

/* Writes the ULID of time ms and 80 random bits (random[0..9]) into out (27 bytes). */
void emu_ulid_format(char out[EMU_ULID_LEN + 1], uint64_t ms, const unsigned char random[10]);

/* Whether s looks like a ULID (26 Crockford base32 characters). */
bool emu_ulid_valid(const char *s);

#endif
