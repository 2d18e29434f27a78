/*
 * core.journal_create(path) -> file | nil, message, errno
 * core.journal_open(path) -> file | nil, message, errno
 *
 * The journal file of plan:apply (lua/swh/journal.lua), handed to Lua as a standard io file
 * handle (luaL_Stream, as lauxlib.h offers to any C library) opened for appending, so the
 * Lua side writes and flushes it with io's own methods. Lua's io.open cannot say what this
 * must:
 * - journal_create makes a new file (O_EXCL: an existing journal, which may be the only
 *   record of the webhooks a run deleted, is never truncated by a second run) with mode 0600
 *   whatever the umask, from the moment it exists (it holds webhook secrets; a chmod after
 *   io.open would leave a moment in which another user could open it);
 * - both hold an exclusive flock(2) on the file for as long as the handle is open, and fail
 *   at once when another handle holds it: two runs of one journal (an apply and a resume, or
 *   two resumes) would each send its pending steps. flock, not fcntl: a POSIX record lock
 *   is dropped when the process closes any descriptor of the file, as reading it does. The
 *   lock goes with the process, however it ends.
 */
#define _DEFAULT_SOURCE /* flock, fdopen, O_CLOEXEC */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "binding_internal.h"

/* The closef of the handle: io calls it from file:close() and from __gc / __close. */
static int close_journal(lua_State *L) {
  luaL_Stream *stream = luaL_checkudata(L, 1, LUA_FILEHANDLE);
  int closed = fclose(stream->f) == 0;
  return luaL_fileresult(L, closed, NULL);
}

/* A closed handle, pushed: filled by open_locked. Made before the file is opened, so that
   if Lua fails to make it, nothing is left open. */
static luaL_Stream *new_handle(lua_State *L) {
  luaL_Stream *stream = lua_newuserdatauv(L, sizeof *stream, 0);
  stream->f = NULL;
  stream->closef = NULL; /* io treats the handle as closed until closef is set */
  if (luaL_getmetatable(L, LUA_FILEHANDLE) != LUA_TTABLE) {
    luaL_error(L, "journal: the io library is not loaded");
  }
  lua_setmetatable(L, -2);
  return stream;
}

/* Opens path with flags (O_WRONLY | O_APPEND and more), locked, into the handle on top of
   the stack: returns 1 (the handle) or luaL_fileresult's 3 (nil, message, errno). A file
   this call made is removed again if it cannot be used. */
static int open_locked(lua_State *L, const char *path, int flags) {
  luaL_Stream *stream = lua_touserdata(L, -1);
  int fd = open(path, flags | O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return luaL_fileresult(L, 0, path);
  }
  bool made = flags & O_CREAT;
  bool busy = false;
  int failed = 0;
  /* open() applied the umask, which may have taken away the owner's bits too. */
  if (made && fchmod(fd, 0600) != 0) {
    failed = errno;
  } else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    failed = errno;
    busy = failed == EWOULDBLOCK;
  } else if (!(stream->f = fdopen(fd, "a"))) {
    failed = errno;
  }
  if (failed) {
    close(fd);
    if (made) unlink(path);
    if (busy) {
      lua_pushnil(L);
      lua_pushfstring(L, "%s: in use by another run (an apply or resume of this journal is "
                         "still going on)", path);
      lua_pushinteger(L, failed);
      return 3;
    }
    errno = failed;
    return luaL_fileresult(L, 0, path);
  }
  stream->closef = close_journal;
  return 1;
}

static int journal_create(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  new_handle(L);
  return open_locked(L, path, O_CREAT | O_EXCL);
}

static int journal_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  new_handle(L);
  return open_locked(L, path, 0);
}

void swh_journal_open(lua_State *L) {
  lua_pushcfunction(L, journal_create);
  lua_setfield(L, -2, "journal_create");
  lua_pushcfunction(L, journal_open);
  lua_setfield(L, -2, "journal_open");
}
