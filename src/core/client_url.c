/* client_url: API URLs with percent-encoded path segments. */
#define _POSIX_C_SOURCE 200809L
#include "client_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growable string; every append reports allocation failure. */
typedef struct {
  char *text;
  size_t len, cap;
} strbuf;

static int strbuf_add(strbuf *sb, const char *piece, size_t len) {
  if (sb->len + len + 1 > sb->cap) {
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < sb->len + len + 1) cap *= 2;
    char *grown = realloc(sb->text, cap);
    if (!grown) return 0;
    sb->text = grown;
    sb->cap = cap;
  }
  memcpy(sb->text + sb->len, piece, len);
  sb->len += len;
  sb->text[sb->len] = '\0';
  return 1;
}

swh_status swhi_url_build(CURL *escaper, const char *base, const char *const segments[],
                         size_t count, const char *query, char **url, char **path,
                         swh_error *err) {
  *url = NULL;
  *path = NULL;
  strbuf p = {0}, u = {0};
  int ok = strbuf_add(&p, "", 0);
  for (size_t i = 0; ok && i < count; i++) {
    char *escaped = curl_easy_escape(escaper, segments[i], (int)strlen(segments[i]));
    ok = escaped && strbuf_add(&p, "/", 1) && strbuf_add(&p, escaped, strlen(escaped));
    curl_free(escaped);
  }
  size_t base_len = strlen(base);
  while (base_len > 0 && base[base_len - 1] == '/') base_len--;
  ok = ok && strbuf_add(&u, base, base_len) && strbuf_add(&u, p.text, p.len);
  if (ok && query) ok = strbuf_add(&u, "?", 1) && strbuf_add(&u, query, strlen(query));
  if (!ok) {
    free(p.text);
    free(u.text);
    return swh_error_set(err, SWH_ERR_MEMORY, "out of memory building a request URL");
  }
  *url = u.text;
  *path = p.text;
  return SWH_OK;
}
