/*
 * Hexadecimal digits, read in two places: the %HH escapes of a request's path (routes.c)
 * and the ids and key of the --state file (state.c).
 */
#ifndef EMU_HEX_H
#define EMU_HEX_H

#include <stdbool.h>
#include <stddef.h>

/* The value of the hex digit c (either case), or -1 if c is not one. */
int emu_hex_digit(char c);

/* Writes the n bytes as 2n lowercase hex digits and a NUL into out (2n + 1 bytes). */
void emu_hex_encode(const unsigned char *bytes, size_t n, char *out);

/* Decodes exactly 2n hex digits into n bytes; false if text is NULL or not that. */
bool emu_hex_decode(const char *text, unsigned char *out, size_t n);

#endif
