/*
 * host_lua: the Lua state of the swh executable, as lua.c runs one. The bundled modules are
 * preloaded (swh.core from the binding, the lua/swh modules and the host prelude from the binary),
 * chunks run protected with a traceback, and SIGINT stops a running chunk at its next
 * instruction instead of killing the process.
 */
#ifndef SWH_HOST_LUA_H
#define SWH_HOST_LUA_H

#include <stdbool.h>

#include <lua.h>

#define HOST_PROGNAME "swh"

/* Opens the standard libraries and registers the bundled modules in package.preload. */
void host_open_libs(lua_State *L);

/*
 * Calls the function below narg arguments on the stack, like lua_pcall, with a message
 * handler that adds a traceback (and describes non-string error objects), and with SIGINT
 * interrupting the call. Returns the lua_pcall status.
 */
int host_docall(lua_State *L, int narg, int nres);

/*
 * Reports a failed status: prints the error at the top of the stack on stderr as
 * "swh: message" (just "swh: interrupted" after a SIGINT) and pops it. Returns true when the
 * failure was an interruption (and clears that state). LUA_OK reports nothing.
 */
bool host_report(lua_State *L, int status);

/* Ignores SIGINT from now on, outside host_docall's calls (which stop at it): for a run that
   ends in the REPL (swh -i), which must not die of a Ctrl-C between its chunks. */
void host_ignore_sigint(void);

/* Prints "swh: message" on stderr. */
void host_message(const char *message);

#endif
