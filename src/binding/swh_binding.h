/*
 * swh_binding: the Lua 5.4 module `swh.core`, the only library code of swh that includes
 * lua.h. It wraps libswh (src/core) for Lua: a client userdata whose calls are started,
 * stepped and finished (so a scheduler of coroutines can yield while they run), jansson
 * values converted to and from Lua tables, and structured errors as tables.
 *
 * The `swh` executable links the static library swh_binding and preloads the module with
 * luaL_requiref or package.preload; a stock lua5.4 loads the same code as swh/core.so.
 */
#ifndef SWH_BINDING_H
#define SWH_BINDING_H

#include <lua.h>

/* The module is built with hidden visibility (the core's symbols stay private to it);
   only its entry point is exported. */
#define SWH_BINDING_EXPORT __attribute__((visibility("default")))

/* The registry field where luaopen_swh_core keeps core.interruption: the error value (a
   table that prints as "interrupted") that a program embedding Lua raises from its interrupt
   hook (the swh host does at Ctrl-C). swh.run and swh.map pass it on at once, where any other
   error of a task would be that task's failure. */
#define SWH_INTERRUPTION_KEY "swh.interruption"

/* Opens swh.core: pushes its table and returns 1. Raises only on memory exhaustion. */
SWH_BINDING_EXPORT int luaopen_swh_core(lua_State *L);

/* Opens swh.emulator.core (lua_emulator.c; lua/swh/emulator.lua is its public face), the
   emulator library for a program's own tests: pushes its table and returns 1. */
SWH_BINDING_EXPORT int luaopen_swh_emulator_core(lua_State *L);

#endif
