/*
 * The files of swh.save and swh.load (lua/swh/snapshot.lua). The core writes and checks
 * them, so a file the module saves is one the emulator loads, and swh.load refuses exactly
 * what the emulator refuses, with the same messages:
 *
 *   core.write_file_atomic(path, text) -> true | nil, err
 *     swh_file_write_atomic: all of text or the old file, mode 0600.
 *   core.load_snapshot(path) -> snapshot | nil, err
 *     swh_snapshot_read and swh_snapshot_check. The snapshot is the file's object with
 *     apps and webhooks as checked (always present, trigger names normalised) and
 *     swh_snapshot = 1 when the file left it out; other keys as read.
 *
 * err is an error value (swh_error_push) whose message starts with the path. Arguments that
 * are not strings raise, as misuse does everywhere in the binding.
 */
#include <lauxlib.h>
#include <lua.h>

#include "binding_internal.h"
#include "swh_file.h"
#include "swh_snapshot.h"

/* Returns nil, err for a failure of the core. */
static int push_failure(lua_State *L, swh_error *err) {
  lua_pushnil(L);
  swh_error_push(L, err);
  return 2;
}

static int write_file_atomic(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  size_t len;
  const char *text = luaL_checklstring(L, 2, &len);
  swh_error err;
  swh_error_init(&err);
  if (swh_file_write_atomic(path, text, len, &err) != SWH_OK) {
    return push_failure(L, &err);
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* Puts the checked lists into the snapshot object (which takes them, even on failure). */
static swh_status replace_lists(json_t *snapshot, json_t *apps, json_t *webhooks,
                                swh_error *err) {
  int failed = json_object_set_new(snapshot, "apps", apps);
  failed |= json_object_set_new(snapshot, "webhooks", webhooks);
  if (!json_object_get(snapshot, "swh_snapshot")) {
    failed |= json_object_set_new(snapshot, "swh_snapshot", json_integer(SWH_SNAPSHOT_VERSION));
  }
  return failed ? swh_error_set(err, SWH_ERR_MEMORY, "out of memory") : SWH_OK;
}

static int load_snapshot(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  /* The value holds secrets and must be freed even if pushing it raises for memory. */
  swh_json_box *box = swh_json_box_push(L); /* path, box */
  swh_error err;
  swh_error_init(&err);
  json_t *apps, *webhooks;
  const char *project_id;
  if (swh_snapshot_read(path, &box->value, &err) != SWH_OK ||
      swh_snapshot_check(box->value, path, &apps, &webhooks, &project_id, &err) != SWH_OK ||
      replace_lists(box->value, apps, webhooks, &err) != SWH_OK) {
    return push_failure(L, &err);
  }
  swh_json_push(L, box->value); /* path, box, snapshot */
  json_decref(box->value);
  box->value = NULL;
  return 1;
}

void swh_snapshot_open(lua_State *L) {
  lua_pushcfunction(L, write_file_atomic);
  lua_setfield(L, -2, "write_file_atomic");
  lua_pushcfunction(L, load_snapshot);
  lua_setfield(L, -2, "load_snapshot");
}
