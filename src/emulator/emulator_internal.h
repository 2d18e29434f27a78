/*
 * The parts of a running emulator, shared by emulator.c (start/stop), routes.c (what to
 * answer) and server.c (libmicrohttpd). Not installed; not for users of the library.
 */
#ifndef EMU_EMULATOR_INTERNAL_H
#define EMU_EMULATOR_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "auth.h"
#include "faults.h"
#include "ratelimit.h"
#include "store.h"
#include "timers.h"

/* Bodies above this are refused with 413. */
#define EMU_MAX_BODY (1024 * 1024)

/* The token endpoint's bucket (API.md: about 30 burst, 10/s). */
#define EMU_TOKEN_BURST 30
#define EMU_TOKEN_RATE 10
/* The project's limit when the configuration says 0 (API.md: about 800/s). */
#define EMU_DEFAULT_RATE 800
/* The Basic-auth limit when the configuration says 0: the docs say Basic is "heavily rate
   limited" and give no number; a quarter of OAuth2's makes the difference felt by a client
   pacing itself for OAuth2, without refusing a script of ordinary pace (doc/EMULATOR.md). */
#define EMU_DEFAULT_BASIC_RATE 200

struct MHD_Daemon;
struct emu_delivery;

struct swh_emulator {
  struct MHD_Daemon *daemon;
  char url[64];
  /* A graceful stop waits for the requests in flight (begun, not yet answered): */
  pthread_mutex_t flight_lock;
  pthread_cond_t flight_done; /* signalled when in_flight drops to 0 (CLOCK_MONOTONIC) */
  int in_flight;
  bool stopping;              /* answers say Connection: close, so no request follows */
  int latency_ms;
  int request_timeout_ms;     /* 0: the default */
  emu_timers timers;          /* held answers and request deadlines */
  bool quiet;
  emu_store store;
  emu_auth auth;
  emu_faults faults;
  emu_bucket project_bucket;
  emu_bucket token_bucket;
  emu_bucket basic_bucket; /* API requests with Basic auth */
  bool no_retry_after;
  bool flat_errors; /* errors as {"code","message","status","details"} */
  struct emu_delivery *delivery; /* callbacks (delivery.h) */
};

#endif
