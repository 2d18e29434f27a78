/*
 * swh_text: small private string helpers of the core's model (not part of swh.h, not
 * installed; their names start swhi_ so that they are never taken for the public API).
 *
 * Errors quote what a server or a user sent (a body prefix, a trigger name): these helpers
 * make such quotes safe to print on one line (valid UTF-8, no control characters, bounded)
 * and measure how far a misspelt name is from a known one, for "did you mean".
 */
#ifndef SWH_TEXT_H
#define SWH_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Appends to the NUL-terminated string in dst (capacity size) a printable, single-line copy
 * of the first src_len bytes of src: control characters become spaces, runs of white space
 * collapse into one, bytes that are not valid UTF-8 become '?'. At most max_chars characters
 * are copied; if src was longer (or dst too small) "..." ends the copy. Never overflows dst
 * and never cuts a UTF-8 sequence. Returns true if the whole of src fitted.
 */
bool swhi_text_append_printable(char *dst, size_t size, const char *src, size_t src_len,
                               size_t max_chars);

/* Cuts a trailing incomplete UTF-8 sequence from s (after a truncating snprintf), and turns
   control characters into spaces, so that s is a valid, single line. */
void swhi_text_make_line(char *s);

/*
 * The candidate closest to name, for "did you mean": within a small distance relative to
 * the candidate's length (one edit for short names, up to three), ties going to the first;
 * or NULL when none is that close.
 */
const char *swhi_text_closest(const char *name, const char *const *candidates, size_t count);

/*
 * Appends n bytes to the growable buffer *data (len bytes used, cap allocated), doubling it
 * as needed and keeping it NUL-terminated. Used for answers the client reads and bodies the
 * emulator receives. Returns false when out of memory, leaving the buffer as it was.
 */
bool swhi_text_buffer_append(char **data, size_t *len, size_t *cap, const void *bytes,
                            size_t n);

/* Number of UTF-8 characters in s (bytes that start a character). */
size_t swhi_text_utf8_length(const char *s);

#endif
