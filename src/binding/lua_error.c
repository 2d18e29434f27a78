/*
 * Errors as Lua tables. A failure of the world is returned as nil, err where err is
 * {kind, http_status, status, message, details, retryable, request} with a metatable whose
 * __tostring gives the one line of swh_error_format, so assert(...) shows that line. The
 * line is rebuilt from the fields each time, so the core keeps the only definition of it.
 */
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "binding_internal.h"

void lswh_error_push(lua_State *L, swh_error *err) {
  /* The details must outlive a memory error while the table is built: box them. */
  lswh_json_box *box = lswh_json_box_push(L); /* box */
  box->value = err->details;
  err->details = NULL;
  lua_createtable(L, 0, 7); /* box, e */
  lua_pushstring(L, swh_error_kind_name(err->kind));
  lua_setfield(L, -2, "kind");
  if (err->http_status > 0) {
    lua_pushinteger(L, err->http_status);
    lua_setfield(L, -2, "http_status");
  }
  if (err->api_status[0]) {
    lua_pushstring(L, err->api_status);
    lua_setfield(L, -2, "status");
  }
  lua_pushstring(L, err->message);
  lua_setfield(L, -2, "message");
  if (box->value) {
    lswh_json_push(L, box->value);
  } else {
    lua_newtable(L);
    luaL_setmetatable(L, LSWH_ARRAY_MT);
  }
  lua_setfield(L, -2, "details");
  lua_pushboolean(L, err->retryable);
  lua_setfield(L, -2, "retryable");
  if (err->request[0]) {
    lua_pushstring(L, err->request);
    lua_setfield(L, -2, "request");
  }
  luaL_setmetatable(L, LSWH_ERROR_MT);
  lua_remove(L, -2); /* e */
  json_decref(box->value);
  box->value = NULL;
  swh_error_clear(err);
}

/* Copies the string (or number) field name of the table at 1 into buf; "" otherwise. */
static void field_string(lua_State *L, const char *name, char *buf, size_t size) {
  lua_getfield(L, 1, name);
  const char *s = lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER
                      ? lua_tostring(L, -1)
                      : "";
  snprintf(buf, size, "%s", s);
  lua_pop(L, 1);
}

/* The kind called name ("http" ...), or SWH_ERROR_KIND_COUNT when none is. */
static swh_status kind_named(const char *name) {
  for (int k = 0; k < SWH_ERROR_KIND_COUNT; k++) {
    if (strcmp(name, swh_error_kind_name((swh_status)k)) == 0) {
      return (swh_status)k;
    }
  }
  return SWH_ERROR_KIND_COUNT;
}

static int error_tostring(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  swh_error err;
  swh_error_init(&err);
  char kind[32];
  field_string(L, "kind", kind, sizeof kind);
  err.kind = kind_named(kind);
  lua_getfield(L, 1, "http_status");
  err.http_status = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : 0;
  lua_pop(L, 1);
  field_string(L, "status", err.api_status, sizeof err.api_status);
  field_string(L, "message", err.message, sizeof err.message);
  field_string(L, "request", err.request, sizeof err.request);
  if (err.kind == SWH_ERROR_KIND_COUNT) { /* made in Lua with a kind the core lacks */
    lua_pushfstring(L, "%s: %s", kind[0] ? kind : "error", err.message);
    return 1;
  }
  char line[SWH_ERROR_MESSAGE_MAX + SWH_ERROR_REQUEST_MAX + 96];
  lua_pushstring(L, swh_error_format(&err, line, sizeof line));
  return 1;
}

int lswh_new_error(lua_State *L) {
  const char *kind = luaL_checkstring(L, 1);
  const char *message = luaL_checkstring(L, 2);
  swh_status k = kind_named(kind);
  if (k == SWH_OK || k == SWH_ERROR_KIND_COUNT) {
    return luaL_argerror(L, 1, lua_pushfstring(L, "\"%s\" is not an error kind", kind));
  }
  swh_error err;
  swh_error_init(&err);
  swh_error_set(&err, k, "%s", message);
  lswh_error_push(L, &err);
  return 1;
}

void lswh_error_open(lua_State *L) {
  luaL_newmetatable(L, LSWH_ERROR_MT); /* mt */
  lua_pushcfunction(L, error_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
}
