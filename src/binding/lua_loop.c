/*
 * The recording end of swh_client_set_loop for Lua: the core's watch and timer callbacks
 * only write into this record (no Lua is ever called from the core or from curl), and
 * swh.loop (lua/swh/loop.lua) reads it after each call into the client with
 * client:loop_changes() and passes it on to the event loop's adapter.
 *
 * The record also keeps the watched descriptors in an epoll set of its own, updated by the
 * callback itself, so before libcurl closes a descriptor: a loop that can only watch file
 * descriptors it is told of in advance and must be told before they close (cqueues) watches
 * that one descriptor instead (client:loop_fd(), then client:loop_ready()).
 *
 * The record is malloc'd, not a userdata: it must outlive the swh_client (freeing a client
 * stops the watch of its descriptors, which swh.loop must still read), and the collector
 * gives no order between two userdata. The client's __gc frees it after the client.
 */
#define _GNU_SOURCE /* EPOLL_CLOEXEC */
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "binding_internal.h"

struct lswh_loop {
  int *changes;        /* fd, what, fd, what... in the order the core asked */
  size_t count, cap;   /* ints used and allocated */
  long timer_ms;       /* the last timer asked for */
  int timer_changed;   /* asked since the last read */
  int out_of_memory;   /* a change could not be recorded */
  int epfd;            /* the watched descriptors, as one */
};

static void record_watch(void *user, int fd, int what) {
  lswh_loop *loop = user;
  struct epoll_event ev = {0};
  ev.data.fd = fd;
  ev.events = ((what & SWH_WATCH_IN) ? EPOLLIN : 0) | ((what & SWH_WATCH_OUT) ? EPOLLOUT : 0);
  if (!what)
    epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
  else if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) != 0)
    epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev);
  if (loop->count + 2 > loop->cap) {
    size_t cap = loop->cap ? loop->cap * 2 : 32;
    int *changes = realloc(loop->changes, cap * sizeof *changes);
    if (!changes) {
      loop->out_of_memory = 1;
      return;
    }
    loop->changes = changes;
    loop->cap = cap;
  }
  loop->changes[loop->count++] = fd;
  loop->changes[loop->count++] = what;
}

static void record_timer(void *user, long timeout_ms) {
  lswh_loop *loop = user;
  loop->timer_ms = timeout_ms;
  loop->timer_changed = 1;
}

int lswh_loop_set(lua_State *L, swh_client *client, lswh_loop **loop) {
  if (*loop) {
    lua_pushboolean(L, 1); /* already driven by a loop */
    return 1;
  }
  lswh_loop *record = calloc(1, sizeof *record);
  if (!record) return luaL_error(L, "not enough memory");
  record->timer_ms = -1;
  record->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (record->epfd < 0) {
    free(record);
    return luaL_error(L, "epoll_create1 failed");
  }
  swh_error err;
  swh_error_init(&err);
  if (swh_client_set_loop(client, record_watch, record_timer, record, &err) != SWH_OK) {
    close(record->epfd);
    free(record);
    lua_pushnil(L);
    lua_pushstring(L, err.message);
    swh_error_clear(&err);
    return 2;
  }
  *loop = record;
  lua_pushboolean(L, 1);
  return 1;
}

int lswh_loop_push_changes(lua_State *L, lswh_loop *loop) {
  if (!loop) return luaL_error(L, "the client is not driven by a loop (call set_loop first)");
  if (loop->out_of_memory) return luaL_error(L, "not enough memory");
  if (loop->timer_changed)
    lua_pushinteger(L, loop->timer_ms);
  else
    lua_pushnil(L);
  lua_createtable(L, (int)loop->count, 0);
  for (size_t i = 0; i < loop->count; i++) {
    lua_pushinteger(L, loop->changes[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  loop->count = 0;
  loop->timer_changed = 0;
  return 2;
}

int lswh_loop_fd(lua_State *L, lswh_loop *loop) {
  if (!loop) return luaL_error(L, "the client is not driven by a loop (call set_loop first)");
  lua_pushinteger(L, loop->epfd);
  return 1;
}

void lswh_loop_ready(swh_client *client, lswh_loop *loop) {
  struct epoll_event events[64];
  int n = epoll_wait(loop->epfd, events, 64, 0);
  for (int i = 0; i < n; i++) {
    int what = ((events[i].events & EPOLLIN) ? SWH_WATCH_IN : 0) |
               ((events[i].events & EPOLLOUT) ? SWH_WATCH_OUT : 0) |
               ((events[i].events & (EPOLLERR | EPOLLHUP)) ? SWH_WATCH_ERROR : 0);
    swh_client_socket_ready(client, events[i].data.fd, what);
  }
}

void lswh_loop_free(lswh_loop *loop) {
  if (!loop) return;
  close(loop->epfd);
  free(loop->changes);
  free(loop);
}
