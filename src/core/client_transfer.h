/*
 * client_transfer: one HTTP exchange on a reused curl easy handle. It owns the request's
 * URL, body and header list (libcurl does not copy POSTFIELDS or header lists, so they live
 * here until the exchange ends) and collects the answer: status, body, Retry-After and
 * whether WWW-Authenticate says the token expired. Its curl callbacks only write into these
 * C buffers. Private to the client.
 */
#ifndef SWH_CLIENT_TRANSFER_H
#define SWH_CLIENT_TRANSFER_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

/* Answers larger than this are refused (a misbehaving server cannot exhaust memory). */
#define SWH_ANSWER_MAX (16u * 1024u * 1024u)

typedef enum { SWH_TRANSFER_AUTH_NONE, SWH_TRANSFER_AUTH_BASIC, SWH_TRANSFER_AUTH_BEARER } swh_transfer_auth_kind;

typedef struct swh_transfer_auth {
  swh_transfer_auth_kind kind;
  const char *user;     /* basic: key_id */
  const char *password; /* basic: key_secret */
  const char *token;    /* bearer */
} swh_transfer_auth;

typedef struct swh_transfer {
  CURL *easy;               /* borrowed from the client's pool while the exchange runs */
  const char *method;       /* static string: "GET", "POST", "PATCH", "DELETE" */
  char *url;                /* owned */
  char *path;               /* owned; the path without base and query, for the trace */
  char *body;               /* owned request body, or NULL */
  const char *content_type; /* static string, or NULL when there is no body */
  struct curl_slist *headers;
  double started_ms;
  void *owner;              /* the call it belongs to, or NULL for the token request */
  /* Send at most once. libcurl silently resends a request whose reused connection broke
     before any answer byte came; for a create or a delete that may already have been
     applied, that hidden resend turns success into a 400 duplicate or a 404. With send_once
     the pre-request callback refuses the second send, the transfer ends with
     CURLE_ABORTED_BY_CALLBACK, and the client decides (a create looks itself up first).
     Connections stay reused, unlike CURLOPT_FRESH_CONNECT, which costs a handshake each. */
  bool send_once;
  int sends;                /* how many times libcurl was about to send this request */
  /* The answer. */
  long status;              /* HTTP status; 0 when none came */
  char *data;               /* owned, NUL-terminated, len bytes */
  size_t len, cap;
  bool too_big;             /* the answer passed SWH_ANSWER_MAX and was cut off */
  bool out_of_memory;       /* the answer could not be stored: no memory */
  double retry_after_ms;    /* from Retry-After in seconds; < 0 when absent */
  bool token_expired;       /* WWW-Authenticate mentioned "expired" */
  bool headers_done;        /* the blank line after the answer's headers came */
  char errbuf[CURL_ERROR_SIZE];
} swh_transfer;

/* A new transfer owning url, path and body (they are freed with it even on failure), or
   NULL when out of memory. */
swh_transfer *swhi_transfer_new(const char *method, char *url, char *path, char *body,
                               const char *content_type);

/* Frees what the transfer owns; it must not be in a multi handle. NULL is a no-op. */
void swhi_transfer_free(swh_transfer *t);

/*
 * Resets easy and configures it for this exchange (the answer fields are cleared): method,
 * URL, body, headers, auth, per-attempt timeout, http(s) only, no signals, private = t.
 * Returns false when curl or memory refuses.
 */
bool swhi_transfer_prepare(swh_transfer *t, CURL *easy, const swh_transfer_auth *auth,
                          long timeout_ms);

/* Whether libcurl tried to resend a send_once request after its connection broke: the
   first send may have been applied. */
bool swhi_transfer_resend_refused(const swh_transfer *t, CURLcode code);

/* Whether a curl failure happened before anything could reach the server (connect, DNS,
   a refused certificate), so the request certainly had no effect. */
bool swhi_transfer_failed_before_sending(CURLcode code);

/* Whether curl refused the server's certificate or could not set up TLS as asked: trying
   again gives the same answer. */
bool swhi_transfer_tls_refused(CURLcode code);

/* Whether the transfer failed because an answer header passed libcurl's limit (100 KB):
   libcurl 7.88 reports that as CURLE_OUT_OF_MEMORY, after the request went out and before
   the headers ended. */
bool swhi_transfer_header_too_large(const swh_transfer *t, CURLcode code);

#endif
