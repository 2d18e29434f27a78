/*
 * swh_emulator: a local Conversation API (API.md) on 127.0.0.1, to rehearse on, test against
 * and benchmark against. It serves the five webhook routes, the apps list and the OAuth2
 * token endpoint of one project and one key, with every validation rule and error form of
 * API.md, and optional latency, rate limiting and deterministic faults.
 *
 * It is a library (the swh host's --sandbox and the tests start it in-process) and the
 * swh-emulator executable. The server runs on its own threads; the functions here may be
 * called from any one thread.
 *
 * The snapshot format, used by the seed file, the state file and swh.snapshot:
 *   {"swh_snapshot":1,"project_id":"…","apps":[App…],"webhooks":[Webhook…]}
 * Apps and webhooks are kept whole, unknown fields included. The core checks it
 * (swh_snapshot.h), so swh.load accepts what the emulator accepts.
 */
#ifndef SWH_EMULATOR_H
#define SWH_EMULATOR_H

#include <stdbool.h>

#include <jansson.h>

#include "swh_error.h"
#include "swh_export.h"

SWH_BEGIN_DECLS

#define SWH_EMULATOR_DEFAULT_PROJECT "emulator-project"
#define SWH_EMULATOR_DEFAULT_KEY_ID "emulator-key"
#define SWH_EMULATOR_DEFAULT_KEY_SECRET "emulator-secret"

/* What the emulator does with the fields of a create or update that API.md does not define
   (swh_webhook_unknown_fields), other than those the seed or state file held (fields the
   live API has and swh does not know, kept as a newer server would): doc/EMULATOR.md. */
typedef enum swh_emulator_unknown_fields {
  SWH_EMULATOR_UNKNOWN_DROP = 0, /* dropped, as a protobuf-backed gateway does (default) */
  SWH_EMULATOR_UNKNOWN_KEEP,     /* stored and answered back */
  SWH_EMULATOR_UNKNOWN_REFUSE,   /* 400 "webhook.x: unknown field" */
} swh_emulator_unknown_fields;

typedef struct swh_emulator_config {
  int port;                 /* 0: a free port */
  const char *project_id;   /* NULL: SWH_EMULATOR_DEFAULT_PROJECT */
  const char *key_id;       /* NULL: SWH_EMULATOR_DEFAULT_KEY_ID */
  const char *key_secret;   /* NULL: SWH_EMULATOR_DEFAULT_KEY_SECRET */
  int apps;                 /* apps to create when nothing else seeds the project */
  const char *seed_file;    /* a snapshot file to start from, or NULL */
  const json_t *seed;       /* a snapshot value to start from (borrowed), or NULL */
  const char *state_file;   /* loaded at start if it exists; each change is on disk before
                               it is answered (state.h: a snapshot plus a log) */
  int latency_ms;           /* added before each answer */
  int request_timeout_ms;   /* a connection must deliver a whole request within this of
                               opening or of its previous answer, or it is closed (slow
                               clients); 0: 30 s */
  double rate_limit;        /* project requests per second; 0: the API's 800; < 0: none */
  double basic_rate_limit;  /* requests per second with Basic auth, within the project's
                               (the docs: "heavily rate limited"); 0: 200; < 0: none */
  bool no_retry_after;      /* the rate limits' 429s come without Retry-After */
  bool flat_errors;         /* errors as {"code","message","status","details"} (the form
                               some answers of the live API take), not {"error":{…}} */
  int token_ttl;            /* seconds an OAuth2 token lives; 0: 3600 */
  const char *faults;       /* e.g. "500=0.05,503=0.05,429=0.05,429ra=0.05,drop=0.02,lost=0.02" */
  unsigned seed_random;     /* --seed: the same seed gives the same faults and ids
                               (0: faults still follow seed 0; ids use the clock and
                               OpenSSL randomness) */
  bool quiet;               /* no request log on stderr */
  int callback_retry_ms;    /* the first retry of a failed callback after this, then
                               doubling (0: Sinch's 5000; doc/CALLBACKS.md) */
  int callback_attempts;    /* attempts per callback at most (0: 15) */
  swh_emulator_unknown_fields unknown_fields; /* see above */
} swh_emulator_config;

typedef struct swh_emulator swh_emulator;

/* Starts serving on 127.0.0.1, or returns NULL with err filled (bad seed or state file,
   port taken, bad faults spec...). The caller stops it with swh_emulator_stop.
   What the project starts with: the state file if it exists, else seed_file, else seed,
   else `apps` generated apps; config->project_id, when set, wins over a snapshot's.
   Errors: SWH_ERR_USAGE (bad option, unreadable file, port taken), SWH_ERR_VALIDATION (a
   snapshot breaking API.md's rules, e.g. "seed.json: webhooks[3].app_id: no such app \"X\""),
   SWH_ERR_MEMORY. config may be NULL (all defaults). */
SWH_API swh_emulator *swh_emulator_start(const swh_emulator_config *config, swh_error *err);

/* "http://127.0.0.1:PORT", borrowed until stop. */
SWH_API const char *swh_emulator_url(const swh_emulator *emulator);

/* The project id it serves (from the config, the snapshot, or the default), borrowed
   until stop. */
SWH_API const char *swh_emulator_project(const swh_emulator *emulator);

/* The current state as a snapshot (the caller owns it), or NULL when memory runs out. */
SWH_API json_t *swh_emulator_snapshot(swh_emulator *emulator);

/* Makes every token issued so far expired: the next request with one gets 401 with
   WWW-Authenticate saying so (tests of renewal). */
SWH_API void swh_emulator_expire_tokens(swh_emulator *emulator);

/* An event to trigger (doc/CALLBACKS.md). */
typedef struct swh_emulator_event {
  const char *trigger;      /* e.g. "MESSAGE_DELIVERY" */
  const char *app_id;
  const json_t *event;      /* merged over the event body, or NULL (borrowed) */
  int count;                /* events to send, up to 100000 (0: one) */
  double rate;              /* events per second (0: all at once) */
} swh_emulator_event;

/* Sends the event's callbacks to the webhooks of its app subscribed to its trigger (with
   target_type HTTP), signed with their secrets and with their client_credentials' tokens,
   retried on 5xx, 429 and network errors. Returns {"trigger","app_id","events",
   "webhooks":[{"id","target"}…]} (the caller owns it) once they are queued, or NULL with
   err: SWH_ERR_VALIDATION (a trigger without callbacks, no such app "…", a count or rate out
   of range), SWH_ERR_USAGE, SWH_ERR_MEMORY. */
json_t *swh_emulator_trigger(swh_emulator *emulator, const swh_emulator_event *event,
                             swh_error *err);

/* The delivery log: {"pending","delivered","failed","deliveries":[{"trigger","webhook_id",
   "target","outcome","status","error"?,"attempts","latency_ms","elapsed_ms"}…]}, the last
   `limit` (<= 0: all kept, up to 100000), oldest first. NULL when memory runs out. */
json_t *swh_emulator_deliveries(swh_emulator *emulator, long limit);

/* Waits until no callback is pending (queued, in flight or waiting for a retry), at most
   timeout_ms; whether none is. */
bool swh_emulator_wait_deliveries(swh_emulator *emulator, long timeout_ms);

/* Stops serving gracefully: new connections are refused, the requests already being
   handled are answered (waiting at most latency_ms + 5 s), idle connections are closed;
   then it waits for the server threads and frees everything. NULL is a no-op. */
SWH_API void swh_emulator_stop(swh_emulator *emulator);

SWH_END_DECLS

#endif
