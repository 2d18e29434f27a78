/*
 * core.journal_create(path) -> file | nil, message, errno
 *
 * Makes the journal file of plan:apply (lua/swh/journal.lua). Lua's io.open cannot say what
 * this must: the file is new (O_EXCL: an existing journal, which may be the only record of
 * the webhooks a run deleted, is never truncated by a second run), and it has mode 0600
 * whatever the umask, from the moment it exists (it holds webhook secrets; a chmod after
 * io.open would leave a moment in which another user could open it). It is opened for
 * appending and handed to Lua as a standard io file handle (luaL_Stream, as lauxlib.h
 * offers to any C library), so the Lua side writes and flushes it with io's own methods.
 */
#define _POSIX_C_SOURCE 200809L /* fdopen, O_CLOEXEC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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

static int journal_create(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  /* The handle exists, closed, before the file does: if Lua fails to make it, nothing is
     left open. */
  luaL_Stream *stream = lua_newuserdatauv(L, sizeof *stream, 0); /* path, file */
  stream->f = NULL;
  stream->closef = NULL; /* io treats the handle as closed until closef is set */
  if (luaL_getmetatable(L, LUA_FILEHANDLE) != LUA_TTABLE) {
    return luaL_error(L, "journal_create: the io library is not loaded");
  }
  lua_setmetatable(L, -2);

  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return luaL_fileresult(L, 0, path);
  }
  /* open() applied the umask, which may have taken away the owner's bits too. */
  if (fchmod(fd, 0600) != 0) {
    int saved = errno;
    close(fd);
    unlink(path);
    errno = saved;
    return luaL_fileresult(L, 0, path);
  }
  stream->f = fdopen(fd, "a");
  if (stream->f == NULL) {
    int saved = errno;
    close(fd);
    unlink(path);
    errno = saved;
    return luaL_fileresult(L, 0, path);
  }
  stream->closef = close_journal;
  return 1;
}

void swh_journal_open(lua_State *L) {
  lua_pushcfunction(L, journal_create);
  lua_setfield(L, -2, "journal_create");
}
