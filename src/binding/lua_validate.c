/*
 * core.validate(webhook [, partial]) -> true | nil, err: the core's checks of API.md
 * (swh_webhook_validate), the same the client makes before sending, without sending. A
 * whole webhook by default; with partial, an update's changes (any subset of the fields).
 * A value that cannot be JSON raises, naming its path; an invalid webhook returns the
 * validation error, never quoting a secret.
 * core.unknown_fields(webhook) -> {path…}: the fields API.md does not define
 * (swh_webhook_unknown_fields: "signing_secret", "client_credentials.audience"), in order.
 */
#include <lauxlib.h>
#include <lua.h>

#include "binding_internal.h"
#include "swh.h"

static int validate(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  bool partial = lua_toboolean(L, 2);
  const char *root = partial ? "changes" : "webhook";
  lswh_json_box *box = lswh_json_box_push(L); /* freed by its __gc if anything raises */
  char why[LSWH_JSON_ERROR_MAX];
  box->value = lswh_json_from_lua(L, 1, root, why);
  if (!box->value)
    return luaL_error(L, "%s", why); /* the swh module names the argument */
  if (json_is_array(box->value) && json_array_size(box->value) == 0) {
    json_decref(box->value); /* {} is an empty object here */
    box->value = json_object();
    if (!box->value)
      return luaL_error(L, "not enough memory");
  } else if (!json_is_object(box->value)) {
    return luaL_error(L, "%s: expected a table with string keys, got an array", root);
  }
  swh_error err;
  swh_error_init(&err);
  swh_status status = swh_webhook_validate(box->value, partial ? SWH_VALIDATE_PARTIAL : 0, &err);
  /* Freed now, not by the box's __gc: a finalizer runs a collection cycle late, and a plan
     validating 100,000 webhooks kept that many JSON trees alive until then. */
  json_decref(box->value);
  box->value = NULL;
  if (status == SWH_OK) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushnil(L);
  lswh_error_push(L, &err);
  return 2;
}

static int unknown_fields(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lswh_json_box *box = lswh_json_box_push(L);
  char why[LSWH_JSON_ERROR_MAX];
  box->value = lswh_json_from_lua(L, 1, "webhook", why);
  if (!box->value)
    return luaL_error(L, "%s", why);
  json_t *paths = swh_webhook_unknown_fields(box->value);
  json_decref(box->value);
  box->value = NULL;
  if (!paths)
    return luaL_error(L, "not enough memory");
  lua_createtable(L, (int)json_array_size(paths), 0);
  size_t i;
  json_t *path;
  json_array_foreach(paths, i, path) {
    lua_pushstring(L, json_string_value(path));
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  json_decref(paths);
  return 1;
}

void lswh_validate_open(lua_State *L) {
  lua_pushcfunction(L, unknown_fields);
  lua_setfield(L, -2, "unknown_fields");
  lua_pushcfunction(L, validate);
  lua_setfield(L, -2, "validate");
}
