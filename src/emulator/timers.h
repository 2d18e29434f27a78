/*
 * emu_timers: the server's one timer thread, for what its event loop must not sleep on.
 *
 * - Held answers (--latency): a request's answer is ready, its connection suspended
 *   (MHD_suspend_connection), and resumed when the latency has passed; the pool thread
 *   serves other connections meanwhile, so a latency delays answers without serialising them.
 * - Request deadlines (slow clients): a connection must deliver a whole request (headers and
 *   body) within request_timeout of opening or of its previous answer, or its socket is shut
 *   and libmicrohttpd closes it. libmicrohttpd's own timeout restarts with every byte, so a
 *   client sending a header line every few seconds would hold a connection for ever.
 *
 * Both queues are in the order their times come (each uses one fixed delay), so the thread
 * only ever looks at their heads. One mutex guards both; libmicrohttpd is never called while
 * it is held (its callbacks take it), and a socket is shut only while it is held, before
 * libmicrohttpd's close notification (which takes it too) can let the descriptor be reused.
 */
#ifndef EMU_TIMERS_H
#define EMU_TIMERS_H

#include <pthread.h>
#include <stdbool.h>

struct MHD_Connection;

/* A connection's answer waiting for its time (lives in the request's own state). */
typedef struct emu_held {
  struct MHD_Connection *connection;
  double due;
  struct emu_held *next;
} emu_held;

/* A connection's deadline for its next request (one per connection). */
typedef struct emu_watch {
  int fd;
  double deadline;
  bool listed;
  struct emu_watch *prev, *next;
} emu_watch;

typedef struct emu_timers {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake; /* CLOCK_MONOTONIC */
  bool running;
  bool closed;         /* no more holds: emu_timers_release_all ran */
  double latency;      /* seconds */
  double request_timeout;
  emu_held *held_head, *held_tail;
  emu_watch *watch_head, *watch_tail;
} emu_timers;

/* Seconds on the monotonic clock. */
double emu_timers_now(void);

/* Initialises cond so that its timed waits count on CLOCK_MONOTONIC, which a change of the
   wall clock cannot stretch or cut short; false on failure (nothing to destroy then). */
bool emu_cond_init_monotonic(pthread_cond_t *cond);

/* Sets up and starts the thread (it inherits the caller's signal mask). false on failure,
   with nothing left to destroy. */
bool emu_timers_start(emu_timers *timers, double latency, double request_timeout);

/* Queues held for resuming its connection (the caller has just suspended it) when the
   latency has passed; after emu_timers_release_all, resumes it at once. */
void emu_timers_hold(emu_timers *timers, emu_held *held, struct MHD_Connection *connection);

/* Resumes every held connection now and takes no more holds (before MHD_stop_daemon, which
   must not meet a suspended connection). */
void emu_timers_release_all(emu_timers *timers);

/* A new watch (the caller frees it after emu_timers_unwatch), listed with a deadline
   request_timeout from now; NULL without memory (the connection is then not watched). */
emu_watch *emu_timers_watch(emu_timers *timers, int fd);

/* The connection's request has arrived whole: no deadline until emu_timers_rewatch. */
void emu_timers_pause(emu_timers *timers, emu_watch *watch);

/* The connection's answer is sent: the next request is due request_timeout from now. */
void emu_timers_rewatch(emu_timers *timers, emu_watch *watch);

/* The connection is closing: off the list for good (before its descriptor is closed). */
void emu_timers_unwatch(emu_timers *timers, emu_watch *watch);

/* Stops and joins the thread (after emu_timers_release_all), then frees what it holds;
   call after MHD_stop_daemon, whose close notifications use the lock. */
void emu_timers_destroy(emu_timers *timers);

#endif
