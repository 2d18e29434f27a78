/*
 * core.probe(targets, {timeout=s, ca_file=, signed=bool}) -> results | nil, err: the core's
 * swh_probe (swh_probe.h) for swh.verify (lua/swh/verify.lua). targets is a list of
 * {url=, secret=?}; results are in the same order. Misuse (not a list, a bad option) raises.
 */
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "binding_internal.h"
#include "swh_probe.h"

static int probe(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  swh_probe_options options = {0};
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    if (lua_getfield(L, 2, "timeout") != LUA_TNIL)
      options.timeout_ms = (long)(luaL_checknumber(L, -1) * 1000);
    if (lua_getfield(L, 2, "ca_file") != LUA_TNIL)
      options.ca_file = luaL_checkstring(L, -1);
    lua_getfield(L, 2, "signed");
    options.signed_event = lua_toboolean(L, -1);
    lua_pop(L, 1); /* the strings stay referenced by the options table */
    lua_pop(L, 2);
  }
  char why[LSWH_JSON_ERROR_MAX];
  json_t *targets = lswh_json_from_lua(L, 1, "targets", why);
  if (!targets)
    return luaL_error(L, "probe: %s", why);
  swh_error err;
  swh_error_init(&err);
  json_t *results = swh_probe(targets, &options, &err);
  json_decref(targets);
  if (!results) {
    lua_pushnil(L);
    lswh_error_push(L, &err);
    return 2;
  }
  swh_error_clear(&err);
  lswh_json_push(L, results);
  json_decref(results);
  return 1;
}

void lswh_probe_open(lua_State *L) {
  lua_pushcfunction(L, probe);
  lua_setfield(L, -2, "probe");
}
