/*
 * swh.emulator.core: the emulator library (swh_emulator.h) for Lua, so that a program's own
 * busted suite can start one in-process without the swh host. A module of its own, so that
 * `require "swh"` never needs libmicrohttpd. lua/swh/emulator.lua is its public face: it
 * checks the options and turns a seed table into JSON text before calling this.
 *
 *   core.start{port=, project_id=, key_id=, key_secret=, apps=, seed_file=, seed_json=,
 *              state_file=, latency_ms=, rate_limit=, token_ttl=, faults=, seed_random=,
 *              quiet=}              -> emulator | nil, kind, message
 *   emulator:url()                  -> "http://127.0.0.1:PORT"
 *   emulator:project_id()           -> the project it serves
 *   emulator:snapshot_json()        -> its state as snapshot JSON text
 *   emulator:stop()                 stops it; safe twice; __gc and __close do the same
 * A stopped emulator raises on url, project_id and snapshot_json.
 */
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>

#include "swh_binding.h"
#include "swh_emulator.h"

#define LSWH_EMULATOR_MT "swh.emulator"

typedef struct lua_emulator {
  swh_emulator *emulator; /* NULL once stopped */
} lua_emulator;

SWH_BINDING_EXPORT int luaopen_swh_emulator_core(lua_State *L);

static lua_emulator *check_running(lua_State *L) {
  lua_emulator *e = luaL_checkudata(L, 1, LSWH_EMULATOR_MT);
  if (!e->emulator) luaL_error(L, "the emulator is stopped");
  return e;
}

/* The string field name of the options table at 1, or NULL when absent. */
static const char *opt_string(lua_State *L, const char *name) {
  lua_getfield(L, 1, name);
  const char *s = lua_isnil(L, -1) ? NULL : luaL_checkstring(L, -1);
  lua_pop(L, 1); /* the options table keeps the string alive */
  return s;
}

static lua_Number opt_number(lua_State *L, const char *name) {
  lua_getfield(L, 1, name);
  lua_Number n = lua_isnil(L, -1) ? 0 : luaL_checknumber(L, -1);
  lua_pop(L, 1);
  return n;
}

static int opt_int(lua_State *L, const char *name, int min, int max) {
  lua_Number n = opt_number(L, name);
  if (n < min || n > max || n != (lua_Number)(int)n)
    return luaL_error(L, "option %s: an integer from %d to %d expected", name, min, max);
  return (int)n;
}

static int emulator_start(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  swh_emulator_config config = {0};
  config.port = opt_int(L, "port", 0, 65535);
  config.project_id = opt_string(L, "project_id");
  config.key_id = opt_string(L, "key_id");
  config.key_secret = opt_string(L, "key_secret");
  config.apps = opt_int(L, "apps", 0, 100000);
  config.seed_file = opt_string(L, "seed_file");
  config.state_file = opt_string(L, "state_file");
  config.latency_ms = opt_int(L, "latency_ms", 0, 600000);
  config.rate_limit = opt_number(L, "rate_limit");
  config.token_ttl = opt_int(L, "token_ttl", 0, 1 << 30);
  config.faults = opt_string(L, "faults");
  config.seed_random = (unsigned)opt_int(L, "seed_random", 0, 1 << 30);
  lua_getfield(L, 1, "quiet");
  config.quiet = lua_toboolean(L, -1);
  lua_pop(L, 1);

  json_t *seed = NULL;
  const char *seed_json = opt_string(L, "seed_json");
  if (seed_json) {
    json_error_t jerr;
    seed = json_loads(seed_json, 0, &jerr);
    if (!seed) return luaL_error(L, "option seed: not JSON: %s", jerr.text);
    config.seed = seed;
  }
  /* The userdata first, so that no emulator is left running if it cannot be made. */
  lua_emulator *e = lua_newuserdatauv(L, sizeof *e, 0);
  e->emulator = NULL;
  luaL_setmetatable(L, LSWH_EMULATOR_MT);
  swh_error err;
  swh_error_init(&err);
  e->emulator = swh_emulator_start(&config, &err);
  json_decref(seed);
  if (!e->emulator) {
    lua_pushnil(L);
    lua_pushstring(L, swh_error_kind_name(err.kind));
    lua_pushstring(L, err.message);
    swh_error_clear(&err);
    return 3;
  }
  return 1;
}

static int emulator_url(lua_State *L) {
  lua_pushstring(L, swh_emulator_url(check_running(L)->emulator));
  return 1;
}

static int emulator_project_id(lua_State *L) {
  lua_pushstring(L, swh_emulator_project(check_running(L)->emulator));
  return 1;
}

static int emulator_snapshot_json(lua_State *L) {
  json_t *snapshot = swh_emulator_snapshot(check_running(L)->emulator);
  char *text = snapshot ? json_dumps(snapshot, JSON_COMPACT) : NULL;
  json_decref(snapshot);
  if (!text) return luaL_error(L, "not enough memory");
  lua_pushstring(L, text);
  free(text);
  return 1;
}

static int emulator_stop(lua_State *L) {
  lua_emulator *e = luaL_checkudata(L, 1, LSWH_EMULATOR_MT);
  swh_emulator *emulator = e->emulator;
  e->emulator = NULL; /* before stopping: a second stop or the __gc finds nothing to do */
  swh_emulator_stop(emulator);
  return 0;
}

static int emulator_tostring(lua_State *L) {
  lua_emulator *e = luaL_checkudata(L, 1, LSWH_EMULATOR_MT);
  if (e->emulator)
    lua_pushfstring(L, "swh.emulator (%s)", swh_emulator_url(e->emulator));
  else
    lua_pushliteral(L, "swh.emulator (stopped)");
  return 1;
}

int luaopen_swh_emulator_core(lua_State *L) {
  static const luaL_Reg meta[] = {{"__gc", emulator_stop},
                                  {"__close", emulator_stop},
                                  {"__tostring", emulator_tostring},
                                  {NULL, NULL}};
  static const luaL_Reg methods[] = {{"url", emulator_url},
                                     {"project_id", emulator_project_id},
                                     {"snapshot_json", emulator_snapshot_json},
                                     {"stop", emulator_stop},
                                     {NULL, NULL}};
  static const luaL_Reg functions[] = {{"start", emulator_start}, {NULL, NULL}};
  luaL_checkversion(L);
  luaL_newmetatable(L, LSWH_EMULATOR_MT);
  luaL_setfuncs(L, meta, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_newlib(L, functions);
  lua_pushstring(L, SWH_EMULATOR_DEFAULT_KEY_ID);
  lua_setfield(L, -2, "default_key_id");
  lua_pushstring(L, SWH_EMULATOR_DEFAULT_KEY_SECRET);
  lua_setfield(L, -2, "default_key_secret");
  return 1;
}
