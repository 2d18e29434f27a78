/*
 * host_repl: the interactive loop of swh, as lua.c's: a line is first tried as
 * "return <line>", unfinished input (a syntax error at <eof>) keeps reading with a
 * continuation prompt, results are shown by the prelude's swh.pretty (webhooks and errors
 * readable, secrets masked). With readline: line editing and history in ~/.swh_history.
 * Ctrl-D ends it.
 */
#ifndef SWH_HOST_REPL_H
#define SWH_HOST_REPL_H

#include <lua.h>

/* Runs the REPL until end of input. Expects the host module table ("swh.host", with
   `results`) at stack index host_index, and SIGINT ignored (host_ignore_sigint): Ctrl-C
   never ends the REPL; the prompt and a running chunk handle it their own way, and between
   the two (compiling, printing) it is ignored rather than fatal. */
void host_repl(lua_State *L, int host_index);

#endif
