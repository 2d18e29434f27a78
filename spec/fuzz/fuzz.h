/*
 * What the libFuzzer targets of spec/fuzz share: the entry point's prototype, a reader that
 * cuts an input into lines and a rest, and the checks every error message must pass. A
 * broken promise aborts, so libFuzzer keeps the input that broke it as a crash.
 */
#ifndef SWH_FUZZ_H
#define SWH_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with what was expected when cond is false (kept in release builds, unlike assert). */
#define FUZZ_EXPECT(cond, ...)                                                   \
  do {                                                                           \
    if (!(cond)) {                                                               \
      fprintf(stderr, "%s:%d: expected %s: ", __FILE__, __LINE__, #cond);       \
      fprintf(stderr, __VA_ARGS__);                                              \
      fputc('\n', stderr);                                                       \
      abort();                                                                   \
    }                                                                            \
  } while (0)

/* The input as a NUL-terminated copy, read a line at a time. */
typedef struct fuzz_reader {
  char *text;  /* owned; size + 1 bytes */
  size_t size;
  size_t at;   /* where the next line starts */
} fuzz_reader;

static inline bool fuzz_reader_init(fuzz_reader *r, const uint8_t *data, size_t size) {
  r->text = malloc(size + 1);
  if (!r->text) return false;
  if (size) memcpy(r->text, data, size);
  r->text[size] = '\0';
  r->size = size;
  r->at = 0;
  return true;
}

static inline void fuzz_reader_free(fuzz_reader *r) { free(r->text); }

/* The next line, NUL-terminated in place (without its '\n'), or NULL at the end of input. A
   NUL byte inside the line ends it as a C string, as it would for a header. */
static inline char *fuzz_next_line(fuzz_reader *r) {
  if (r->at >= r->size) return NULL;
  char *line = r->text + r->at;
  char *newline = memchr(line, '\n', r->size - r->at);
  if (newline) {
    *newline = '\0';
    r->at = (size_t)(newline - r->text) + 1;
  } else {
    r->at = r->size;
  }
  return line;
}

/* What is left after the lines read (may hold NULs), and its length. */
static inline const char *fuzz_rest(const fuzz_reader *r, size_t *len) {
  *len = r->size - r->at;
  return r->text + r->at;
}

/* Whether the len bytes of s are valid UTF-8 (no overlong forms, no surrogates). */
static inline bool fuzz_valid_utf8(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s, *end = p + len;
  while (p < end) {
    unsigned c = *p;
    size_t n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2
             : (c & 0xF8) == 0xF0 ? 3 : 4;
    if (n == 4 || (size_t)(end - p) <= n) return false;
    unsigned cp = n == 0 ? c : n == 1 ? (c & 0x1F) : n == 2 ? (c & 0x0F) : (c & 0x07);
    for (size_t i = 1; i <= n; i++) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    static const unsigned least[] = {0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += n + 1;
  }
  return true;
}

/* The promise of swh_error's message: one line of valid UTF-8, not empty. */
static inline void fuzz_check_message(const char *message) {
  size_t len = strlen(message);
  FUZZ_EXPECT(len > 0, "an error message");
  FUZZ_EXPECT(fuzz_valid_utf8(message, len), "UTF-8 in \"%s\"", message);
  for (const char *c = message; *c; c++)
    FUZZ_EXPECT((unsigned char)*c >= 0x20 && *c != 0x7f, "one printable line: \"%s\"", message);
}

#endif
