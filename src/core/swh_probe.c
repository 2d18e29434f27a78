/* swh_probe: see swh_probe.h. */
#define _DEFAULT_SOURCE /* timegm */
#define _XOPEN_SOURCE 700 /* strptime */
#include "swh_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "swh_signature.h"

#define DEFAULT_TIMEOUT_MS 10000
#define MAX_PARALLEL 64
#define UNSIGNED_BODY "{\"swh_verify\":\"a connectivity check by swh verify: not an event, not signed\"}"

typedef struct probe {
  const char *url;
  const char *secret;
  CURL *easy;
  struct curl_slist *headers;
  char *body;
  char error[CURL_ERROR_SIZE];
  size_t index;  /* in targets and results */
  bool insecure; /* the second look at a certificate that failed the check */
  bool signed_event;
} probe;

static size_t discard(char *data, size_t size, size_t count, void *userdata) {
  (void)data, (void)userdata;
  return size * count;
}

/* "Expire date:Dec  1 23:00:00 2027 GMT" -> Unix seconds, or -1. */
static long long parse_expiry(const char *text) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *end = strptime(text, "%b %d %H:%M:%S %Y GMT", &tm);
  return end ? (long long)timegm(&tm) : -1;
}

/* The leaf certificate's expiry and subject, from CURLINFO_CERTINFO, or NULL. */
static json_t *certificate(CURL *easy) {
  struct curl_certinfo *info = NULL;
  if (curl_easy_getinfo(easy, CURLINFO_CERTINFO, &info) != CURLE_OK || !info ||
      info->num_of_certs < 1)
    return NULL;
  const char *expire = NULL, *subject = NULL;
  for (struct curl_slist *s = info->certinfo[0]; s; s = s->next) {
    if (!strncmp(s->data, "Expire date:", 12))
      expire = s->data + 12;
    else if (!strncmp(s->data, "Subject:", 8))
      subject = s->data + 8;
  }
  long long when = expire ? parse_expiry(expire) : -1;
  if (when < 0)
    return NULL;
  char iso[32];
  time_t t = (time_t)when;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
  long long left = when - (long long)time(NULL);
  /* whole days left (C's division: toward zero), so -1 once it expired a day ago */
  return json_pack("{s:s,s:I,s:b,s:s}", "expires", iso, "days_left",
                   (json_int_t)(left / 86400), "expired", left < 0, "subject",
                   subject ? subject : "");
}

static const char *stage_of(CURLcode code) {
  switch (code) {
  case CURLE_OK: return "ok";
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY: return "dns";
  case CURLE_COULDNT_CONNECT: return "connect";
  case CURLE_OPERATION_TIMEDOUT: return "timeout";
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS: return "tls";
  default: return "http";
  }
}

static bool add_header(struct curl_slist **list, const char *name, const char *value) {
  char line[256];
  snprintf(line, sizeof line, "%s: %s", name, value);
  struct curl_slist *grown = curl_slist_append(*list, line);
  if (grown)
    *list = grown;
  return grown != NULL;
}

/* The signed test event's body and headers. */
static bool sign(probe *p) {
  char ts[24], nonce[40], signature[SWH_SIGNATURE_SIZE];
  unsigned char random[12];
  if (RAND_bytes(random, sizeof random) != 1)
    return false;
  for (size_t i = 0; i < sizeof random; i++)
    snprintf(nonce + 2 * i, 3, "%02x", random[i]);
  snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
  json_t *event = json_pack(
      "{s:s,s:s,s:s,s:s,s:{s:s,s:s}}", "swh_verify",
      "a signed test event from swh verify: not a real callback", "app_id", "", "project_id",
      "", "message_metadata", "swh verify test event", "message_delivery_report", "message_id",
      "swh-verify-test", "status", "DELIVERED");
  p->body = event ? json_dumps(event, JSON_COMPACT) : NULL;
  json_decref(event);
  if (!p->body)
    return false;
  if (swh_signature_compute(p->secret, p->body, strlen(p->body), nonce, ts, signature, NULL) !=
      SWH_OK)
    return false;
  return add_header(&p->headers, "x-sinch-webhook-signature", signature) &&
         add_header(&p->headers, "x-sinch-webhook-signature-nonce", nonce) &&
         add_header(&p->headers, "x-sinch-webhook-signature-timestamp", ts) &&
         add_header(&p->headers, "x-sinch-webhook-signature-algorithm",
                    SWH_SIGNATURE_ALGORITHM);
}

static bool start(CURLM *multi, probe *p, const swh_probe_options *o) {
  p->easy = curl_easy_init();
  if (!p->easy)
    return false;
  CURL *e = p->easy;
  curl_easy_setopt(e, CURLOPT_URL, p->url);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS);
  curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->error);
  curl_easy_setopt(e, CURLOPT_PRIVATE, p);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "swh-verify");
  if (o->ca_file)
    curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_file);
  if (p->insecure) {
    /* only to read the certificate that failed the check: nothing is sent */
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
  } else {
    p->signed_event = o->signed_event && p->secret && *p->secret;
    bool ok = add_header(&p->headers, "Content-Type", "application/json") &&
              add_header(&p->headers, "Expect", "") && (!p->signed_event || sign(p));
    if (!ok)
      return false;
    const char *body = p->body ? p->body : UNSIGNED_BODY;
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers);
  }
  p->error[0] = '\0';
  return curl_multi_add_handle(multi, e) == CURLM_OK;
}

static double ms(CURL *e, CURLINFO what) {
  curl_off_t us = 0;
  curl_easy_getinfo(e, what, &us);
  return us / 1000.0;
}

/* Runs the probes (all at once, at most MAX_PARALLEL in flight); calls done for each. */
static bool run(probe *probes, size_t n, const swh_probe_options *o,
                bool (*done)(probe *, CURLcode, json_t *), json_t *results) {
  CURLM *multi = curl_multi_init();
  if (!multi)
    return false;
  curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)MAX_PARALLEL);
  bool ok = true;
  for (size_t i = 0; ok && i < n; i++)
    ok = probes[i].url == NULL || start(multi, &probes[i], o);
  int running = 1;
  while (ok && running) {
    curl_multi_perform(multi, &running);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(multi, &left)))
      if (msg->msg == CURLMSG_DONE) {
        probe *p = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&p);
        ok = done(p, msg->data.result, results) && ok;
      }
    if (running)
      curl_multi_poll(multi, NULL, 0, 1000, NULL);
  }
  for (size_t i = 0; i < n; i++)
    if (probes[i].easy) {
      curl_multi_remove_handle(multi, probes[i].easy);
      curl_easy_cleanup(probes[i].easy);
      probes[i].easy = NULL;
    }
  curl_multi_cleanup(multi);
  return ok;
}

static bool first_done(probe *p, CURLcode code, json_t *results) {
  CURL *e = p->easy;
  long status = 0;
  if (code == CURLE_OK)
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  json_t *r = json_pack("{s:s,s:s,s:i,s:b,s:f,s:f,s:f,s:f}", "url", p->url, "stage",
                        stage_of(code), "status", (int)status, "signed", p->signed_event,
                        "dns_ms", ms(e, CURLINFO_NAMELOOKUP_TIME_T), "connect_ms",
                        ms(e, CURLINFO_CONNECT_TIME_T), "tls_ms",
                        ms(e, CURLINFO_APPCONNECT_TIME_T), "total_ms",
                        ms(e, CURLINFO_TOTAL_TIME_T));
  if (!r)
    return false;
  if (code != CURLE_OK)
    json_object_set_new(r, "error", json_string(p->error[0] ? p->error : curl_easy_strerror(code)));
  json_t *cert = certificate(e);
  if (cert)
    json_object_set_new(r, "certificate", cert);
  return json_array_set_new(results, p->index, r) == 0;
}

static bool second_done(probe *p, CURLcode code, json_t *results) {
  json_t *cert = code == CURLE_OK ? certificate(p->easy) : NULL;
  if (cert)
    json_object_set_new(json_array_get(results, p->index), "certificate", cert);
  return true;
}

json_t *swh_probe(const json_t *targets, const swh_probe_options *options, swh_error *err) {
  swh_probe_options defaults = {0};
  if (!options)
    options = &defaults;
  if (!json_is_array(targets)) {
    swh_error_set(err, SWH_ERR_USAGE, "probe: targets must be an array");
    return NULL;
  }
  size_t n = json_array_size(targets);
  for (size_t i = 0; i < n; i++) {
    const json_t *t = json_array_get(targets, i);
    if (!json_is_string(json_object_get(t, "url"))) {
      swh_error_set(err, SWH_ERR_USAGE, "probe: targets[%zu].url: expected a string", i + 1);
      return NULL;
    }
  }
  probe *probes = calloc(n ? n : 1, sizeof *probes);
  json_t *results = json_array();
  bool ok = probes && results;
  for (size_t i = 0; ok && i < n; i++) {
    const json_t *t = json_array_get(targets, i);
    probes[i].index = i;
    probes[i].url = json_string_value(json_object_get(t, "url"));
    probes[i].secret = json_string_value(json_object_get(t, "secret"));
    ok = json_array_append_new(results, json_null()) == 0;
  }
  ok = ok && run(probes, n, options, first_done, results);
  /* a certificate that failed the check: look at it again, unchecked, for its dates */
  for (size_t i = 0; ok && i < n; i++) {
    json_t *r = json_array_get(results, i);
    bool look = !strcmp(json_string_value(json_object_get(r, "stage")), "tls") &&
                !json_object_get(r, "certificate");
    curl_slist_free_all(probes[i].headers);
    probes[i].headers = NULL;
    free(probes[i].body);
    probes[i].body = NULL;
    probes[i].insecure = look;
    if (!look)
      probes[i].url = NULL;
  }
  ok = ok && run(probes, n, options, second_done, results);
  for (size_t i = 0; probes && i < n; i++) {
    curl_slist_free_all(probes[i].headers);
    free(probes[i].body);
  }
  free(probes);
  if (!ok) {
    json_decref(results);
    swh_error_set(err, SWH_ERR_MEMORY, "probe: out of memory");
    return NULL;
  }
  return results;
}
