/*
 * The message for an unknown key in an option table, one wording for every function that
 * takes options, in C (swh.client, swh.json.encode) and in Lua (swh.map, swh.snapshot,
 * plan:apply, swh.resume, through core.unknown_option):
 *   unknown option "concurency" (did you mean "concurrency"? known: concurrency, progress)
 *
 * And what Lua asks the core about secrets, so that it hides what the trace hides:
 * core.is_secret_key(name) and core.mask_urls(text [, mask]).
 */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "binding_internal.h"
#include "swh_client.h"
#include "swh_settings.h"
#include "swh_text.h"
#include "swh_url.h"

const char *lswh_unknown_option(lua_State *L, const char *key, const char *const *names,
                                   size_t count) {
  luaL_Buffer known;
  luaL_buffinit(L, &known);
  for (size_t i = 0; i < count; i++) {
    luaL_addstring(&known, i ? ", " : "");
    luaL_addstring(&known, names[i]);
  }
  luaL_pushresult(&known); /* ..., known */
  const char *closest = swhi_text_closest(key, names, count);
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
  lswh_unknown_option(L, key, names, (size_t)count);
  return 1;
}

/* core.is_secret_key(name) -> whether a field of that name holds a secret (swh_is_secret_key);
   false for a name that is not a string. */
static int is_secret_key(lua_State *L) {
  lua_pushboolean(L, lua_type(L, 1) == LUA_TSTRING && swh_is_secret_key(lua_tostring(L, 1)));
  return 1;
}

/* core.mask_urls(text [, mask]) -> text with the password of every URL masked (by mask,
   default "[redacted]"), as the trace and messages show it. */
static int mask_urls(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  const char *mask = luaL_optstring(L, 2, SWHI_REDACTED);
  luaL_Buffer out;
  luaL_buffinit(L, &out);
  /* piece by piece between NUL bytes, which the core's C strings cannot hold */
  for (const char *piece = text; piece <= text + len; piece += strlen(piece) + 1) {
    if (piece > text) luaL_addchar(&out, '\0');
    char *masked = swhi_url_mask_text(piece, mask);
    if (!masked) return luaL_error(L, "not enough memory");
    lua_pushstring(L, masked);
    free(masked);
    luaL_addvalue(&out);
  }
  luaL_pushresult(&out);
  return 1;
}

/* core.settings: the client's settings as the core's table lists them, in order, each
   {name =, env =, flag =, default =} (absent where there is none), for documentation and
   swh.environment. */
static void push_settings(lua_State *L) {
  lua_createtable(L, SWHI_SETTING_COUNT, 0); /* ..., settings */
  for (swhi_setting_id id = 0; id < SWHI_SETTING_COUNT; id++) {
    const swhi_setting *s = swhi_setting_at(id);
    lua_createtable(L, 0, 4); /* ..., settings, row */
    lua_pushstring(L, s->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, s->env); /* nil when NULL */
    lua_setfield(L, -2, "env");
    lua_pushstring(L, s->flag);
    lua_setfield(L, -2, "flag");
    lua_pushstring(L, s->fallback);
    lua_setfield(L, -2, "default");
    lua_rawseti(L, -2, (lua_Integer)id + 1);
  }
}

void lswh_options_open(lua_State *L) {
  static const luaL_Reg functions[] = {{"unknown_option", unknown_option},
                                       {"is_secret_key", is_secret_key},
                                       {"mask_urls", mask_urls},
                                       {NULL, NULL}};
  push_settings(L);
  lua_setfield(L, -2, "settings");
  luaL_setfuncs(L, functions, 0);
}
