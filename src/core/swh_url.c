/* swh_url: URLs read by libcurl's URL API; passwords masked in text (see swh_url.h). */
#define _POSIX_C_SOURCE 200809L
#include "swh_url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "swh_client.h"

/* A part of url as libcurl reads it, copied for free(); *code says why there is none. */
static char *url_part(const char *url, CURLUPart part, CURLUcode *code) {
  CURLU *parsed = curl_url();
  char *value = NULL, *copy = NULL;
  *code = CURLUE_OUT_OF_MEMORY;
  if (parsed && (*code = curl_url_set(parsed, CURLUPART_URL, url, 0)) == CURLUE_OK &&
      (*code = curl_url_get(parsed, part, &value, 0)) == CURLUE_OK &&
      !(copy = strdup(value)))
    *code = CURLUE_OUT_OF_MEMORY;
  curl_free(value);
  curl_url_cleanup(parsed);
  return copy;
}

char *swhi_url_host(const char *url) {
  CURLUcode code;
  char *host = url_part(url, CURLUPART_HOST, &code);
  for (char *c = host; c && *c; c++) *c = (char)tolower((unsigned char)*c);
  return host;
}

char *swhi_url_path(const char *url) {
  CURLUcode code;
  char *path = url_part(url, CURLUPART_PATH, &code);
  return path || code == CURLUE_OUT_OF_MEMORY ? path : strdup("/");
}

/* Where the password of the URL whose "://" is at sep starts and ends (end at its '@'), or
   false if that URL has no userinfo password. */
static bool find_password(const char *sep, const char **start, const char **end) {
  const char *authority = sep + 3;
  size_t len = strcspn(authority, "/?#\"'<> \t\r\n\f\v");
  const char *at = NULL;
  for (const char *p = authority; p < authority + len; p++)
    if (*p == '@') at = p; /* the last '@' ends the userinfo */
  if (!at) return false;
  const char *colon = memchr(authority, ':', (size_t)(at - authority));
  if (!colon) return false;
  *start = colon + 1;
  *end = at;
  return true;
}

char *swhi_url_mask_text(const char *text, const char *mask) {
  size_t extra = 0, mask_len = strlen(mask);
  const char *start, *end;
  for (const char *p = strstr(text, "://"); p; p = strstr(p + 3, "://"))
    if (find_password(p, &start, &end)) extra += mask_len;
  char *out = malloc(strlen(text) + extra + 1);
  if (!out) return NULL;
  char *o = out;
  const char *copied = text;
  for (const char *p = strstr(text, "://"); p; p = strstr(p + 3, "://")) {
    if (!find_password(p, &start, &end) || start < copied) continue;
    memcpy(o, copied, (size_t)(start - copied));
    o += start - copied;
    memcpy(o, mask, mask_len);
    o += mask_len;
    copied = end;
  }
  strcpy(o, copied);
  return out;
}

char *swhi_url_mask(const char *url, const char *mask) {
  const char *scheme_end = strstr(url, "://");
  const char *colon = scheme_end ? strchr(scheme_end + 3, ':') : NULL;
  const char *at = strrchr(url, '@');
  if (!colon || !at || at < colon) return swhi_url_mask_text(url, mask);
  size_t head = (size_t)(colon + 1 - url);
  char *shown = malloc(head + strlen(mask) + strlen(at) + 1);
  if (!shown) return NULL;
  memcpy(shown, url, head);
  strcpy(shown + head, mask);
  strcat(shown + head, at);
  return shown;
}

/* Fills err: name, the URL with any password masked, then why. */
static swh_status refuse_url(swh_error *err, const char *name, const char *url, const char *why) {
  char *shown = swhi_url_mask(url, SWHI_REDACTED);
  if (!shown) return swh_error_set(err, SWH_ERR_MEMORY, "%s: out of memory", name);
  swh_error_set(err, SWH_ERR_USAGE, "%s: \"%.200s\" %s", name, shown, why);
  free(shown);
  return SWH_ERR_USAGE;
}

swh_status swh_url_check(const char *name, const char *url, swh_error *err) {
  if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
    return refuse_url(err, name, url, "is not an http:// or https:// URL");
  CURLUcode code;
  char *host = url_part(url, CURLUPART_HOST, &code);
  bool has_host = host && *host;
  free(host);
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

/* Whether host (lower case, as swhi_url_host gives it) is the machine itself: a name lookup
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

swh_status swhi_url_check_private(const char *name, const char *url, const char *what,
                                  swh_error *err) {
  if (strncasecmp(url, "http://", 7) != 0) return SWH_OK;
  char *host = swhi_url_host(url);
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
