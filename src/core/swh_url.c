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

/* Copies libcurl's part into *out (when wanted) with strdup, for free(). */
static bool copy_part(CURLU *parsed, CURLUPart part, unsigned flags, char **out) {
  if (!out) return true;
  char *value = NULL;
  CURLUcode code = curl_url_get(parsed, part, &value, flags);
  *out = strdup(code == CURLUE_OK && value ? value : "");
  curl_free(value);
  return *out != NULL;
}

swhi_url_verdict swhi_url_parse(const char *url, char **scheme, char **host, const char **why) {
  if (scheme) *scheme = NULL;
  if (host) *host = NULL;
  CURLU *parsed = curl_url();
  if (!parsed) return SWHI_URL_NO_MEMORY;
  CURLUcode code = curl_url_set(parsed, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
  char *found = NULL;
  swhi_url_verdict verdict = SWHI_URL_OK;
  if (code == CURLUE_OUT_OF_MEMORY) {
    verdict = SWHI_URL_NO_MEMORY;
  } else if (code == CURLUE_NO_HOST) {
    verdict = SWHI_URL_NO_HOST;
  } else if (code != CURLUE_OK) {
    if (why) *why = curl_url_strerror(code);
    verdict = SWHI_URL_INVALID;
  } else if (!copy_part(parsed, CURLUPART_HOST, CURLU_URLDECODE, &found) ||
             !copy_part(parsed, CURLUPART_SCHEME, 0, scheme)) {
    verdict = SWHI_URL_NO_MEMORY;
  } else if (!*found) {
    verdict = SWHI_URL_NO_HOST;
  }
  curl_url_cleanup(parsed);
  if (verdict == SWHI_URL_OK && host) {
    *host = found;
  } else {
    free(found);
    if (verdict != SWHI_URL_OK && scheme) {
      free(*scheme);
      *scheme = NULL;
    }
  }
  return verdict;
}

char *swhi_url_host(const char *url) {
  char *host;
  swhi_url_parse(url, NULL, &host, NULL);
  for (char *c = host; c && *c; c++) *c = (char)tolower((unsigned char)*c);
  return host;
}

char *swhi_url_path(const char *url) {
  CURLU *parsed = curl_url();
  char *path = NULL;
  bool ok = parsed && curl_url_set(parsed, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) ==
                          CURLUE_OK;
  ok = ok && copy_part(parsed, CURLUPART_PATH, 0, &path);
  curl_url_cleanup(parsed);
  if (ok && !*path) { /* libcurl gives "/" for a URL without a path; to be sure */
    free(path);
    path = strdup("/");
  }
  return path;
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
  const char *why = "";
  switch (swhi_url_parse(url, NULL, NULL, &why)) {
  case SWHI_URL_NO_MEMORY:
    return swh_error_set(err, SWH_ERR_MEMORY, "%s: out of memory", name);
  case SWHI_URL_NO_HOST:
    return refuse_url(err, name, url, "has no host");
  case SWHI_URL_INVALID: {
    char because[160];
    snprintf(because, sizeof because, "is not a valid URL (%s)", why);
    return refuse_url(err, name, url, because);
  }
  case SWHI_URL_OK:
    break;
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
