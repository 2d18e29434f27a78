-- luarocks make (from a checkout): builds swh.core and swh.emulator.core with CMake and
-- installs them with the Lua files of lua/swh into the rocks tree. Needs the development
-- files of libcurl, jansson, OpenSSL, libmicrohttpd and Lua 5.4 (scripts/deps lists the
-- Debian packages), and pkg-config.
rockspec_format = "3.0"
package = "swh"
version = "0.1.0-1"
source = {
  url = "git+file://.", -- luarocks make builds the checkout it is run in
}
description = {
  summary = "Bulk work on Sinch Conversation API webhooks, scripted in Lua",
  detailed = [[
    A client of the webhooks of the Sinch Conversation API (C core on libcurl, jansson and
    OpenSSL): validation, OAuth2, retries, pacing, many requests in flight, snapshots, plans
    applied with a journal, and swh.emulator, a local Conversation API for a program's tests.
  ]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.4, < 5.5",
}
build = {
  type = "cmake",
  variables = {
    CMAKE_BUILD_TYPE = "Release",
    SWH_LUA_ROCK = "ON",
    SWH_INSTALL_LUADIR = "$(LUADIR)",
    SWH_INSTALL_LUA_CDIR = "$(LIBDIR)",
  },
}
test = {
  -- The busted specs that need no swh host, against the build luarocks make left.
  type = "command",
  command = "scripts/rock-test",
}
