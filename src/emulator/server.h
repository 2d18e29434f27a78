/*
 * The libmicrohttpd glue: one thread per connection (so --latency sleeps in parallel and
 * hundreds of keep-alive connections are served at once), bodies gathered up to
 * EMU_MAX_BODY, query and form values collected, replies sent as JSON, faults that close
 * the connection, and the request log.
 */
#ifndef EMU_SERVER_H
#define EMU_SERVER_H

#include "emulator_internal.h"
#include "swh_error.h"

/* Listens on 127.0.0.1:port (0: a free one) and fills emulator->url. */
swh_status emu_server_start(struct swh_emulator *emulator, int port, swh_error *err);

/* Stops gracefully: stops accepting connections, lets the requests in flight be answered
   (waiting at most the latency and 5 s more), then closes every connection and joins the
   threads. Safe when not started. */
void emu_server_stop(struct swh_emulator *emulator);

#endif
