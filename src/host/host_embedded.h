/*
 * host_embedded: the Lua modules compiled into the swh executable (every lua/swh module and the
 * host's prelude), generated at build time by embed_lua.cmake. The host registers each one
 * in package.preload, so `require "swh"` works wherever the binary is copied.
 */
#ifndef SWH_HOST_EMBEDDED_H
#define SWH_HOST_EMBEDDED_H

#include <stddef.h>

typedef struct swh_embedded_module {
  const char *name;            /* "swh", "swh.pretty", ... */
  const char *chunkname;       /* "@lua/swh/pretty.lua": what tracebacks show */
  const unsigned char *source; /* Lua source, static */
  size_t size;                 /* bytes of source (a NUL follows, not counted) */
} swh_embedded_module;

/* Ends with an entry whose name is NULL. */
extern const swh_embedded_module swh_embedded_modules[];

#endif
