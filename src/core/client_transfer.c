/* client_transfer: one HTTP exchange and its answer buffers. */
#include "client_transfer.h"

#include "swh_text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

swh_transfer *swhi_transfer_new(const char *method, char *url, char *path, char *body,
                               const char *content_type) {
  swh_transfer *t = calloc(1, sizeof *t);
  if (!t) {
    free(url);
    free(path);
    free(body);
    return NULL;
  }
  t->method = method;
  t->url = url;
  t->path = path;
  t->body = body;
  t->content_type = content_type;
  t->retry_after_ms = -1;
  return t;
}

void swhi_transfer_free(swh_transfer *t) {
  if (!t) return;
  curl_slist_free_all(t->headers);
  free(t->url);
  free(t->path);
  free(t->body);
  free(t->data);
  free(t);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata) {
  swh_transfer *t = userdata;
  size_t n = size * nmemb;
  if (t->len + n > SWH_ANSWER_MAX) {
    t->too_big = true;
    return 0; /* makes curl stop with CURLE_WRITE_ERROR */
  }
  if (!swhi_text_buffer_append(&t->data, &t->len, &t->cap, ptr, n)) {
    t->out_of_memory = true;
    return 0;
  }
  return n;
}

/* Whether the header line starts with name followed by ':'; sets *value past it. */
static bool header_is(const char *line, size_t len, const char *name, const char **value) {
  size_t name_len = strlen(name);
  if (len <= name_len || line[name_len] != ':' || strncasecmp(line, name, name_len) != 0)
    return false;
  *value = line + name_len + 1;
  return true;
}

static bool contains_word_expired(const char *text, size_t len) {
  static const char word[] = "expired";
  for (size_t i = 0; i + sizeof word - 1 <= len; i++)
    if (strncasecmp(text + i, word, sizeof word - 1) == 0) return true;
  return false;
}

/* Called by libcurl each time it is about to send the request, on a new or reused
   connection; a second time means it is resending after the connection broke. */
static int on_before_send(void *userdata, char *primary_ip, char *local_ip, int primary_port,
                          int local_port) {
  swh_transfer *t = userdata;
  t->sends++;
  return t->send_once && t->sends > 1 ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *userdata) {
  swh_transfer *t = userdata;
  size_t len = size * nitems;
  const char *value;
  if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
    /* A new response (after a 100 Continue, say): forget the previous one's headers. */
    t->retry_after_ms = -1;
    t->token_expired = false;
    t->headers_done = false;
  } else if ((len == 2 && line[0] == '\r' && line[1] == '\n') || (len == 1 && line[0] == '\n')) {
    t->headers_done = true;
  } else if (header_is(line, len, "Retry-After", &value)) {
    const char *end = line + len;
    while (value < end && isspace((unsigned char)*value)) value++;
    /* Only the delta-seconds form; an HTTP date falls back to our own back-off. */
    double seconds = 0;
    const char *p = value;
    while (p < end && isdigit((unsigned char)*p) && seconds < 1e6) seconds = seconds * 10 + (*p++ - '0');
    while (p < end && isspace((unsigned char)*p)) p++;
    if (p > value && p == end) t->retry_after_ms = seconds * 1000.0;
  } else if (header_is(line, len, "WWW-Authenticate", &value)) {
    if (contains_word_expired(value, (size_t)(line + len - value))) t->token_expired = true;
  }
  return len;
}

bool swhi_transfer_prepare(swh_transfer *t, CURL *easy, const swh_transfer_auth *auth,
                          long timeout_ms) {
  curl_easy_reset(easy);
  t->easy = easy;
  t->status = 0;
  t->len = 0;
  if (t->data) t->data[0] = '\0';
  t->too_big = false;
  t->out_of_memory = false;
  t->retry_after_ms = -1;
  t->token_expired = false;
  t->headers_done = false;
  t->errbuf[0] = '\0';
  t->sends = 0;
  curl_slist_free_all(t->headers);
  t->headers = NULL;

  struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
  /* No "Expect: 100-continue" round trip for our small bodies. */
  if (h && !curl_slist_append(h, "Expect:")) goto fail_headers;
  if (h && t->content_type) {
    char line[96];
    snprintf(line, sizeof line, "Content-Type: %s", t->content_type);
    if (!curl_slist_append(h, line)) goto fail_headers;
  }
  if (!h) return false;
  t->headers = h;

  CURLcode rc = CURLE_OK;
#define SET(option, value) \
  if (rc == CURLE_OK) rc = curl_easy_setopt(easy, option, value)
  SET(CURLOPT_URL, t->url);
  SET(CURLOPT_PROTOCOLS_STR, "http,https");
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_TIMEOUT_MS, timeout_ms);
  SET(CURLOPT_USERAGENT, "swh/0.1");
  SET(CURLOPT_HTTPHEADER, t->headers);
  SET(CURLOPT_WRITEFUNCTION, on_body);
  SET(CURLOPT_WRITEDATA, t);
  SET(CURLOPT_HEADERFUNCTION, on_header);
  SET(CURLOPT_HEADERDATA, t);
  SET(CURLOPT_ERRORBUFFER, t->errbuf);
  SET(CURLOPT_PRIVATE, t);
  SET(CURLOPT_TCP_KEEPALIVE, 1L);
  SET(CURLOPT_PREREQFUNCTION, on_before_send);
  SET(CURLOPT_PREREQDATA, t);
  if (t->body) {
    SET(CURLOPT_POSTFIELDS, t->body);
    SET(CURLOPT_POSTFIELDSIZE, (long)strlen(t->body));
  }
  if (strcmp(t->method, "GET") == 0) {
    SET(CURLOPT_HTTPGET, 1L);
  } else if (strcmp(t->method, "POST") != 0) {
    SET(CURLOPT_CUSTOMREQUEST, t->method);
  } else if (!t->body) {
    SET(CURLOPT_POSTFIELDS, "");
  }
  switch (auth->kind) {
    case SWH_TRANSFER_AUTH_BASIC:
      SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
      SET(CURLOPT_USERNAME, auth->user);
      SET(CURLOPT_PASSWORD, auth->password);
      break;
    case SWH_TRANSFER_AUTH_BEARER:
      SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
      SET(CURLOPT_XOAUTH2_BEARER, auth->token);
      break;
    case SWH_TRANSFER_AUTH_NONE:
      break;
  }
#undef SET
  return rc == CURLE_OK;

fail_headers:
  curl_slist_free_all(h);
  return false;
}

bool swhi_transfer_resend_refused(const swh_transfer *t, CURLcode code) {
  return code == CURLE_ABORTED_BY_CALLBACK && t->send_once && t->sends > 1;
}

bool swhi_transfer_failed_before_sending(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return true;
    default:
      return swhi_transfer_tls_refused(code);
  }
}

bool swhi_transfer_tls_refused(CURLcode code) {
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
      return true;
    default:
      return false;
  }
}

bool swhi_transfer_header_too_large(const swh_transfer *t, CURLcode code) {
  return code == CURLE_OUT_OF_MEMORY && t->sends > 0 && !t->headers_done && !t->out_of_memory;
}
