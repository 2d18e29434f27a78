/*
 * luaopen_swh_core: the table of swh.core. Every metatable is made once, here.
 *
 *   core.client(options)        -> client | nil, err   (see lua_client.c)
 *   core.json_encode(v [,opts]) -> string               (raises naming the path of a bad value)
 *   core.json_decode(text)      -> value | nil, message
 *   core.stderr_is_terminal()   -> boolean (progress bars redraw only on a terminal)
 *   core.validate(w [,partial]) -> true | nil, err      (see lua_validate.c)
 *   core.journal_open(path [,create]) -> file | nil, message  (locked; see lua_journal.c)
 *   core.journal_truncate(file) -> true | nil, message  (empties a journal; lua_journal.c)
 *   core.new_error(kind, msg)   -> error value           (see lua_error.c)
 *   core.save_snapshot(path, s) -> true | nil, err      (checked, mode 0600; lua_snapshot.c)
 *   core.load_snapshot(path)    -> snapshot | nil, err  (checked; see lua_snapshot.c)
 *   core.listen(options)       -> listener | nil, err  (callbacks received; lua_listen.c)
 *   core.probe(targets, opts)  -> results | nil, err    (swh.verify's checks; lua_probe.c)
 *   core.project_rules          the project's rules and defaults (see lua_project.c)
 *   core.check_placements(w, n) -> nil | i, message     (the rules over a list; lua_project.c)
 *   core.array_mt, core.object_mt   the metatables of the tables made from JSON
 *   core.error_mt                   the metatable of error tables (its __tostring: one line)
 *   core.null                       JSON null, the lightuserdata NULL that is cjson.null
 *   core.error_kinds                {"ok", "usage", ...}: the kinds an error may have
 *   core._VERSION                   libswh's version
 */
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "binding_internal.h"
#include "swh.h"
#include "swh_binding.h"

static int stderr_is_terminal(lua_State *L) {
  lua_pushboolean(L, isatty(STDERR_FILENO));
  return 1;
}

static int interruption_tostring(lua_State *L) {
  lua_pushliteral(L, "interrupted");
  return 1;
}

/* Pushes the interruption value (see SWH_INTERRUPTION_KEY), made once per Lua state. */
static void push_interruption(lua_State *L) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, SWH_INTERRUPTION_KEY) == LUA_TTABLE)
    return;
  lua_pop(L, 1);
  lua_newtable(L);            /* interruption */
  lua_createtable(L, 0, 2);  /* interruption, mt */
  lua_pushliteral(L, "swh.interruption");
  lua_setfield(L, -2, "__name");
  lua_pushcfunction(L, interruption_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, SWH_INTERRUPTION_KEY);
}

int luaopen_swh_core(lua_State *L) {
  static const luaL_Reg functions[] = {{"json_encode", lswh_json_encode},
                                       {"json_decode", lswh_json_decode},
                                       {"stderr_is_terminal", stderr_is_terminal},
                                       {"new_error", lswh_new_error},
                                       {NULL, NULL}};
  luaL_checkversion(L);
  lswh_json_open(L);
  lswh_error_open(L);
  luaL_newlib(L, functions); /* core */
  lswh_client_open(L);
  lswh_validate_open(L);
  lswh_journal_open(L);
  lswh_snapshot_open(L);
  lswh_project_open(L);
  lswh_options_open(L);
  lswh_listen_open(L);
  lswh_probe_open(L);
  luaL_getmetatable(L, LSWH_ARRAY_MT);
  lua_setfield(L, -2, "array_mt");
  luaL_getmetatable(L, LSWH_OBJECT_MT);
  lua_setfield(L, -2, "object_mt");
  luaL_getmetatable(L, LSWH_ERROR_MT);
  lua_setfield(L, -2, "error_mt");
  lua_pushlightuserdata(L, NULL);
  lua_setfield(L, -2, "null");
  push_interruption(L);
  lua_setfield(L, -2, "interruption");
  lua_createtable(L, SWH_ERROR_KIND_COUNT, 0); /* core, kinds */
  for (int k = 0; k < SWH_ERROR_KIND_COUNT; k++) {
    lua_pushstring(L, swh_error_kind_name((swh_status)k));
    lua_rawseti(L, -2, k + 1);
  }
  lua_setfield(L, -2, "error_kinds");
  lua_pushliteral(L, SWH_VERSION);
  lua_setfield(L, -2, "_VERSION");
  return 1;
}
