/*
 * The message for an unknown key in an option table, one wording for every function that
 * takes options, in C (swh.client, swh.json.encode) and in Lua (swh.map, swh.snapshot,
 * plan:apply, swh.resume, through core.unknown_option):
 *   unknown option "concurency" (did you mean "concurrency"? known: concurrency, progress)
 */
#include <lauxlib.h>
#include <lua.h>

#include "binding_internal.h"
#include "swh_text.h"

const char *swh_lua_unknown_option(lua_State *L, const char *key, const char *const *names,
                                   size_t count) {
  luaL_Buffer known;
  luaL_buffinit(L, &known);
  for (size_t i = 0; i < count; i++) {
    luaL_addstring(&known, i ? ", " : "");
    luaL_addstring(&known, names[i]);
  }
  luaL_pushresult(&known); /* ..., known */
  const char *closest = swh_text_closest(key, names, count);
  const char *message =
      closest ? lua_pushfstring(L, "unknown option \"%s\" (did you mean \"%s\"? known: %s)", key,
                                closest, lua_tostring(L, -1))
              : lua_pushfstring(L, "unknown option \"%s\" (known: %s)", key, lua_tostring(L, -1));
  lua_remove(L, -2); /* ..., message */
  return message;
}

/* core.unknown_option(key, names) -> the message; names is a list of the known keys. Keys
   that are not strings are named by their type, as the C callers do. */
static int unknown_option(lua_State *L) {
  const char *key = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : luaL_typename(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer count = luaL_len(L, 2);
  if (count < 0 || count > 64) return luaL_argerror(L, 2, "expected a list of 0 to 64 names");
  const char *names[64];
  luaL_checkstack(L, (int)count + 4, "too many names");
  for (lua_Integer i = 0; i < count; i++) {
    lua_rawgeti(L, 2, i + 1); /* kept on the stack, so the strings live */
    names[i] = luaL_checkstring(L, -1);
  }
  swh_lua_unknown_option(L, key, names, (size_t)count);
  return 1;
}

void swh_options_open(lua_State *L) {
  lua_pushcfunction(L, unknown_option);
  lua_setfield(L, -2, "unknown_option");
}
