/*
 * The files of swh.save and swh.load (lua/swh/snapshot.lua). The core checks and writes
 * them, so a file the module saves is one the emulator loads, and swh.load refuses exactly
 * what the emulator refuses, with the same messages:
 *
 *   core.save_snapshot(path, snapshot) -> true | nil, err
 *     The snapshot checked as swh.load checks a file (swh_snapshot_check_in_place, its
 *     messages starting "snapshot: "), then written as JSON with sorted keys, two-space
 *     indents and a final newline by swh_file_write_atomic_with, as jansson writes it out:
 *     all of it or the old file, mode 0600. A value that cannot be JSON raises, naming its
 *     path ("snapshot.apps[1].id: ...").
 *   core.load_snapshot(path) -> snapshot | nil, err
 *     swh_snapshot_read and swh_snapshot_check_in_place. The snapshot is the file's object
 *     with trigger names normalised, and swh_snapshot = 1 when the file left it out.
 *
 * err is an error value (lswh_error_push) whose message starts with "snapshot" or the path.
 * Arguments that are not strings raise, as misuse does everywhere in the binding.
 */
#include <stdbool.h>

#include <lauxlib.h>
#include <lua.h>

#include "binding_internal.h"
#include "swh_file.h"
#include "swh_snapshot.h"

/* Two saves of one project diff line by line. */
#define SNAPSHOT_FILE_FLAGS (JSON_INDENT(2) | JSON_SORT_KEYS)

/* Returns nil, err for a failure of the core. */
static int push_failure(lua_State *L, swh_error *err) {
  lua_pushnil(L);
  lswh_error_push(L, err);
  return 2;
}

/* Checks snapshot (the binding's own copy) as swh.load would, naming it "snapshot" in
   messages; it is written as given, trigger names included. */
static swh_status check(json_t *snapshot, swh_error *err) {
  const char *project_id;
  return swh_snapshot_check_in_place(snapshot, "snapshot", false, &project_id, err);
}

/* jansson's output, to the file as it comes: -1 stops the dump once a write is refused. */
static int to_sink(const char *buffer, size_t size, void *sink) {
  return swh_file_sink_write(sink, buffer, size) ? 0 : -1;
}

/* The file's content: the snapshot as JSON, then a newline. Never whole in memory: at
   100,000 webhooks the text is 40 MB. */
static bool write_snapshot(swh_file_sink *sink, void *snapshot) {
  return json_dump_callback(snapshot, to_sink, sink, SNAPSHOT_FILE_FLAGS) == 0 &&
         swh_file_sink_write(sink, "\n", 1);
}

/* Writes snapshot to path in the file format, atomically. */
static swh_status write_file(const char *path, json_t *snapshot, swh_error *err) {
  return swh_file_write_atomic_with(path, write_snapshot, snapshot, err);
}

static int save_snapshot(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  luaL_checkany(L, 2);
  lua_settop(L, 2);
  /* The value holds secrets and must be freed even if raising for a bad one. */
  lswh_json_box *box = lswh_json_box_push(L); /* path, snapshot, box */
  char why[LSWH_JSON_ERROR_MAX];
  box->value = lswh_json_from_lua(L, 2, "snapshot", why);
  if (!box->value)
    return luaL_error(L, "%s", why); /* the swh module names the argument */
  swh_error err;
  swh_error_init(&err);
  swh_status status = check(box->value, &err);
  if (status == SWH_OK)
    status = write_file(path, box->value, &err);
  json_decref(box->value);
  box->value = NULL;
  if (status != SWH_OK)
    return push_failure(L, &err);
  lua_pushboolean(L, 1);
  return 1;
}

/* swh_snapshot is filled in when the file left it out. A list the file does not have stays
   absent: swh.plan then refuses the snapshot rather than read it as "no webhooks", which
   would delete them all. */
static swh_status complete(json_t *snapshot, swh_error *err) {
  if (!json_object_get(snapshot, "swh_snapshot") &&
      json_object_set_new(snapshot, "swh_snapshot", json_integer(SWH_SNAPSHOT_VERSION)) != 0)
    return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  return SWH_OK;
}

static int load_snapshot(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  /* The value holds secrets and must be freed even if pushing it raises for memory. */
  lswh_json_box *box = lswh_json_box_push(L); /* path, box */
  swh_error err;
  swh_error_init(&err);
  const char *project_id;
  if (swh_snapshot_read(path, &box->value, &err) != SWH_OK ||
      swh_snapshot_check_in_place(box->value, path, true, &project_id, &err) != SWH_OK ||
      complete(box->value, &err) != SWH_OK) {
    return push_failure(L, &err);
  }
  lswh_json_push_consuming(L, box->value); /* path, box, snapshot */
  json_decref(box->value);
  box->value = NULL;
  return 1;
}

void lswh_snapshot_open(lua_State *L) {
  lua_pushcfunction(L, save_snapshot);
  lua_setfield(L, -2, "save_snapshot");
  lua_pushcfunction(L, load_snapshot);
  lua_setfield(L, -2, "load_snapshot");
}
