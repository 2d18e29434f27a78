/* client_url: API URLs with percent-encoded path segments. */
#define _POSIX_C_SOURCE 200809L
#include "client_url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client_redact.h"
#include "swh_client.h"

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

swh_status swh_url_build(CURL *escaper, const char *base, const char *const segments[],
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

char *swh_url_host(const char *url) {
  CURLU *parsed = curl_url();
  char *host = NULL, *copy = NULL;
  if (parsed && curl_url_set(parsed, CURLUPART_URL, url, 0) == CURLUE_OK &&
      curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK)
    copy = strdup(host);
  curl_free(host);
  curl_url_cleanup(parsed);
  for (char *c = copy; c && *c; c++) *c = (char)tolower((unsigned char)*c);
  return copy;
}

/* A copy of a refused url (the caller frees it; NULL when out of memory) without what may be
   a password: everything between the first ':' after "://" and the last '@'. A password
   with a '/', '?' or '#' its writer did not percent-encode ends the authority early for the
   parser ("http://user:pa/ss@host"), so swh_redact_url_passwords, which follows it, would
   quote the password; a refusal may mask a little more than a password (a port before an
   '@' in the path), never less. */
static char *shown_url(const char *url) {
  const char *scheme_end = strstr(url, "://");
  const char *colon = scheme_end ? strchr(scheme_end + 3, ':') : NULL;
  const char *at = strrchr(url, '@');
  if (!colon || !at || at < colon) return swh_redact_url_passwords(url);
  size_t head = (size_t)(colon + 1 - url);
  char *shown = malloc(head + strlen(SWH_REDACTED) + strlen(at) + 1);
  if (!shown) return NULL;
  memcpy(shown, url, head);
  strcpy(shown + head, SWH_REDACTED);
  strcat(shown + head, at);
  return shown;
}

/* Fills err: name, the URL with any password masked, then why. */
static swh_status refuse_url(swh_error *err, const char *name, const char *url, const char *why) {
  char *shown = shown_url(url);
  if (!shown) return swh_error_set(err, SWH_ERR_MEMORY, "%s: out of memory", name);
  swh_error_set(err, SWH_ERR_USAGE, "%s: \"%.200s\" %s", name, shown, why);
  free(shown);
  return SWH_ERR_USAGE;
}

swh_status swh_url_check(const char *name, const char *url, swh_error *err) {
  if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
    return refuse_url(err, name, url, "is not an http:// or https:// URL");
  CURLU *parsed = curl_url();
  if (!parsed) return swh_error_set(err, SWH_ERR_MEMORY, "%s: out of memory", name);
  char *host = NULL;
  CURLUcode code = curl_url_set(parsed, CURLUPART_URL, url, 0);
  if (code == CURLUE_OK) code = curl_url_get(parsed, CURLUPART_HOST, &host, 0);
  curl_url_cleanup(parsed);
  bool has_host = code == CURLUE_OK && host && *host;
  curl_free(host);
  if (code == CURLUE_OUT_OF_MEMORY)
    return swh_error_set(err, SWH_ERR_MEMORY, "%s: out of memory", name);
  if (code == CURLUE_NO_HOST || (code == CURLUE_OK && !has_host))
    return refuse_url(err, name, url, "has no host");
  if (code != CURLUE_OK) {
    char why[160];
    snprintf(why, sizeof why, "is not a valid URL (%s)", curl_url_strerror(code));
    return refuse_url(err, name, url, why);
  }
  /* swh appends path segments to a base URL, which a query or fragment would swallow, and a
     fragment is never sent. The text is looked at, not libcurl's parts: libcurl reports an
     empty "#" (and from 8.8 an empty "?") as absent. */
  if (strpbrk(strstr(url, "://") + 3, "?#"))
    return refuse_url(err, name, url,
                      "has a query or fragment ('?' or '#'), which an API URL cannot have");
  return SWH_OK;
}

/* Whether host (lower case, as swh_url_host gives it) is the machine itself: a name lookup
   could say so of other names too, but the answer must not depend on a resolver. */
static bool host_is_loopback(const char *host) {
  if (strcmp(host, "localhost") == 0) return true;
  unsigned char addr[16];
  if (inet_pton(AF_INET, host, addr) == 1) return addr[0] == 127;
  char inner[64];
  size_t len = strlen(host);
  if (len < 2 || len - 2 >= sizeof inner || host[0] != '[' || host[len - 1] != ']') return false;
  memcpy(inner, host + 1, len - 2);
  inner[len - 2] = '\0';
  if (inet_pton(AF_INET6, inner, addr) != 1) return false;
  static const unsigned char loopback6[16] = {[15] = 1};
  static const unsigned char mapped4[12] = {[10] = 0xff, [11] = 0xff};
  return memcmp(addr, loopback6, 16) == 0 || (memcmp(addr, mapped4, 12) == 0 && addr[12] == 127);
}

swh_status swh_url_check_private(const char *name, const char *url, const char *what,
                                 swh_error *err) {
  if (strncasecmp(url, "http://", 7) != 0) return SWH_OK;
  char *host = swh_url_host(url);
  if (!host) return swh_error_set(err, SWH_ERR_MEMORY, "%s: out of memory", name);
  bool loopback = host_is_loopback(host);
  free(host);
  if (loopback) return SWH_OK;
  char why[200];
  snprintf(why, sizeof why,
           "is plain http:// to a host that is not loopback: %s would travel in clear text; "
           "use https://, or set allow_insecure_http",
           what);
  return refuse_url(err, name, url, why);
}
