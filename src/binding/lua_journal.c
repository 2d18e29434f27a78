/*
 * core.journal_open(path [, create]) -> file | nil, message, errno
 * core.journal_truncate(file)        -> true | nil, message, errno
 *
 * The journal file of plan:apply (lua/swh/plan/journal.lua), handed to Lua as a standard io file
 * handle (luaL_Stream, as lauxlib.h offers to any C library) opened for reading and
 * appending ("a+"), so the Lua side reads, writes and flushes it with io's own methods.
 * Lua's io.open cannot say what this must:
 * - the file is locked before anything reads it, and everything (reading what is there,
 *   emptying a complete journal to start a new one, appending) goes through that one
 *   locked handle: nothing is removed or replaced by name, so a second run that read the
 *   file cannot remove or truncate a journal a first run has just started;
 * - a file this call makes (create true, no file at path) has mode 0600 whatever the umask, from
 *   the moment it exists (it holds webhook secrets; a chmod after io.open would leave a
 *   moment in which another user could open it);
 * - the lock is an exclusive flock(2), held for as long as the handle is open; taking it
 *   fails at once when another handle holds it: two runs of one journal (two applies, an
 *   apply and a resume, two resumes) would each send its pending steps. flock, not fcntl:
 *   a POSIX record lock is dropped when the process closes any descriptor of the file.
 *   The lock goes with the process, however it ends.
 */
#define _DEFAULT_SOURCE /* flock, fdopen, ftruncate, O_CLOEXEC */
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

/* Opens path for reading and appending: the descriptor, or -1 with errno set. With create,
   makes the file when it is missing, and says so in *made (its mode is then to be set). */
static int open_file(const char *path, bool create, bool *made) {
  const int flags = O_RDWR | O_APPEND | O_CLOEXEC;
  *made = false;
  if (!create) {
    return open(path, flags);
  }
  /* O_EXCL first, so that made is known for sure; a file removed between the two calls
     is tried again (a few times: something is removing it as fast as it comes). */
  for (int tries = 0; tries < 8; tries++) {
    int fd = open(path, flags | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) {
      *made = true;
      return fd;
    }
    if (errno != EEXIST) {
      return -1;
    }
    fd = open(path, flags);
    if (fd >= 0 || errno != ENOENT) {
      return fd;
    }
  }
  return -1;
}

static int journal_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  bool create = lua_toboolean(L, 2);
  luaL_Stream *stream = new_handle(L); /* file */
  bool made;
  int fd = open_file(path, create, &made);
  if (fd < 0) {
    return luaL_fileresult(L, 0, path);
  }
  int failed = 0;
  bool busy = false;
  /* The lock before anything else: a file this call made may already be another run's,
     which opened it in between and locked it first; it is then left alone, never
     removed. */
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    failed = errno;
    busy = failed == EWOULDBLOCK;
  } else if (made && fchmod(fd, 0600) != 0) { /* open() applied the umask to the owner too */
    failed = errno;
  } else if (!(stream->f = fdopen(fd, "a+"))) {
    failed = errno;
  }
  if (failed) {
    close(fd);
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

/* Empties the journal through its locked handle, for an apply that starts a new one. */
static int journal_truncate(lua_State *L) {
  luaL_Stream *stream = luaL_checkudata(L, 1, LUA_FILEHANDLE);
  if (stream->closef == NULL) {
    return luaL_error(L, "attempt to use a closed file");
  }
  bool ok = fflush(stream->f) == 0 && ftruncate(fileno(stream->f), 0) == 0 &&
            fseek(stream->f, 0, SEEK_SET) == 0;
  return luaL_fileresult(L, ok, NULL);
}

void lswh_journal_open(lua_State *L) {
  lua_pushcfunction(L, journal_open);
  lua_setfield(L, -2, "journal_open");
  lua_pushcfunction(L, journal_truncate);
  lua_setfield(L, -2, "journal_truncate");
}
