/* swh_text: see swh_text.h. */
#include "swh_text.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence starting at s (at most avail bytes), or 0 if the bytes
   there are not one (overlong forms, surrogates and cut sequences included). */
static size_t utf8_sequence_length(const unsigned char *s, size_t avail) {
  size_t len;
  unsigned int min_second = 0x80, max_second = 0xBF;
  if (s[0] < 0x80) return 1;
  if (s[0] >= 0xC2 && s[0] <= 0xDF) {
    len = 2;
  } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
    len = 3;
    if (s[0] == 0xE0) min_second = 0xA0;
    if (s[0] == 0xED) max_second = 0x9F;
  } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
    len = 4;
    if (s[0] == 0xF0) min_second = 0x90;
    if (s[0] == 0xF4) max_second = 0x8F;
  } else {
    return 0;
  }
  if (avail < len) return 0;
  if (s[1] < min_second || s[1] > max_second) return 0;
  for (size_t i = 2; i < len; i++)
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  return len;
}

bool swhi_text_append_printable(char *dst, size_t size, const char *src, size_t src_len,
                               size_t max_chars) {
  static const char ellipsis[] = "...";
  if (!dst || size == 0) return false;
  const char *nul = memchr(dst, 0, size);
  size_t used = nul ? (size_t)(nul - dst) : size - 1;
  dst[used] = '\0';
  if (!src) return src_len == 0;
  const unsigned char *s = (const unsigned char *)src;
  size_t i = 0, chars = 0;
  bool last_was_space = used > 0 && dst[used - 1] == ' ';
  /* Room is kept for the ellipsis so that a cut is always visible. */
  size_t room = size - 1 - used;
  size_t body_room = room > sizeof ellipsis - 1 ? room - (sizeof ellipsis - 1) : 0;
  size_t start = used;
  while (i < src_len && chars < max_chars) {
    size_t n = utf8_sequence_length(s + i, src_len - i);
    const char *piece;
    size_t piece_len;
    char one;
    if (n == 0) {
      one = '?';
      piece = &one;
      piece_len = 1;
      n = 1;
    } else if (n == 1 && (s[i] < 0x20 || s[i] == 0x7F || s[i] == ' ')) {
      if (last_was_space) {
        i++;
        continue;
      }
      one = ' ';
      piece = &one;
      piece_len = 1;
    } else {
      piece = src + i;
      piece_len = n;
    }
    if (used - start + piece_len > body_room) break;
    memcpy(dst + used, piece, piece_len);
    used += piece_len;
    last_was_space = piece_len == 1 && piece[0] == ' ';
    i += n;
    chars++;
  }
  bool whole = i >= src_len;
  if (!whole) {
    /* No space before the ellipsis: "Bad Gateway..." reads better than "Bad Gateway ...". */
    while (used > start && dst[used - 1] == ' ') used--;
    size_t ell = sizeof ellipsis - 1;
    if (ell > size - 1 - used) ell = size - 1 - used;
    memcpy(dst + used, ellipsis, ell);
    used += ell;
  }
  dst[used] = '\0';
  return whole;
}

void swhi_text_make_line(char *s) {
  if (!s) return;
  size_t len = strlen(s);
  size_t i = 0;
  while (i < len) {
    unsigned char c = (unsigned char)s[i];
    size_t n = utf8_sequence_length((const unsigned char *)s + i, len - i);
    if (n == 0) {
      /* An incomplete sequence at the very end is the mark of a truncating snprintf. */
      if (len - i < 4 && c >= 0xC2 && c <= 0xF4) {
        s[i] = '\0';
        return;
      }
      s[i] = '?';
      n = 1;
    } else if (n == 1 && (c < 0x20 || c == 0x7F)) {
      s[i] = ' ';
    }
    i += n;
  }
}

/* The optimal-string-alignment distance (Levenshtein plus adjacent transpositions) between
   a and b, compared case-insensitively (ASCII), or limit + 1 if it is greater than limit
   (cheap: the work stops early when the lengths alone differ too much). */
static size_t text_distance(const char *a, const char *b, size_t limit) {
  size_t la = strlen(a), lb = strlen(b);
  size_t diff = la > lb ? la - lb : lb - la;
  if (diff > limit) return limit + 1;
  /* Known names are short; a name too long for the rows cannot be close to one. */
  enum { MAX = 64 };
  if (la >= MAX || lb >= MAX) return limit + 1;
  size_t prev2[MAX + 1], prev[MAX + 1], cur[MAX + 1];
  for (size_t j = 0; j <= lb; j++) prev[j] = j;
  for (size_t i = 1; i <= la; i++) {
    cur[0] = i;
    size_t row_min = cur[0];
    for (size_t j = 1; j <= lb; j++) {
      int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
      size_t cost = ca == cb ? 0 : 1;
      size_t best = prev[j - 1] + cost;
      if (prev[j] + 1 < best) best = prev[j] + 1;
      if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
      if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
          tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < best)
        best = prev2[j - 2] + 1;
      cur[j] = best;
      if (best < row_min) row_min = best;
    }
    if (row_min > limit) return limit + 1;
    memcpy(prev2, prev, sizeof prev);
    memcpy(prev, cur, sizeof cur);
  }
  return prev[lb] > limit ? limit + 1 : prev[lb];
}

size_t swhi_text_utf8_length(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80) n++;
  return n;
}

bool swhi_text_buffer_append(char **data, size_t *len, size_t *cap, const void *bytes,
                            size_t n) {
  if (*len + n + 1 > *cap) {
    size_t grown_cap = *cap ? *cap : 1024;
    while (grown_cap < *len + n + 1)
      grown_cap *= 2;
    char *grown = realloc(*data, grown_cap);
    if (!grown)
      return false;
    *data = grown;
    *cap = grown_cap;
  }
  memcpy(*data + *len, bytes, n);
  *len += n;
  (*data)[*len] = '\0';
  return true;
}

/* A small distance relative to the length: one edit for short names, up to three. */
static size_t suggestion_limit(const char *known) {
  size_t limit = strlen(known) / 4;
  if (limit < 1) limit = 1;
  if (limit > 3) limit = 3;
  return limit;
}

const char *swhi_text_closest(const char *name, const char *const *candidates, size_t count) {
  const char *best = NULL;
  size_t best_distance = (size_t)-1;
  for (size_t i = 0; i < count; i++) {
    size_t limit = suggestion_limit(candidates[i]);
    size_t d = text_distance(name, candidates[i], limit);
    if (d <= limit && d < best_distance) {
      best = candidates[i];
      best_distance = d;
    }
  }
  return best;
}
