-- `cmake --install` puts swh where a stock lua5.4 finds it: core.so under lib/lua/5.4/swh/,
-- the Lua files under share/lua/5.4/swh/.
local helper = require "helper"

local function run(command)
  local f = assert(io.popen(command .. " 2>&1", "r"))
  local out = f:read("a")
  local ok = f:close()
  return out, ok == true
end

-- For the describe block that calls it: installs the part of the build under dir into a
-- fresh prefix before its specs, removes it after them. Returns a table whose prefix field
-- is set once installed.
local function install(dir)
  local installed = {}
  lazy_setup(function()
    installed.prefix = os.tmpname()
    os.remove(installed.prefix)
    local out, ok = run(("cmake --install %s --prefix %s"):format(
      helper.shell_quote(helper.build .. "/" .. dir), helper.shell_quote(installed.prefix)))
    assert(ok, "cmake --install failed: " .. out)
  end)
  lazy_teardown(function()
    if installed.prefix then run("rm -rf " .. helper.shell_quote(installed.prefix)) end
  end)
  return installed
end

describe("cmake --install", function()
  -- The binding's part of the build: the whole build would also need the executables.
  local installed = install("src/binding")

  it("installs core.so and the Lua files of swh", function()
    local prefix = installed.prefix
    for _, file in ipairs{ "lib/lua/5.4/swh/core.so", "share/lua/5.4/swh/init.lua",
                           "share/lua/5.4/swh/tasks.lua", "share/lua/5.4/swh/pretty.lua",
                           "share/lua/5.4/swh/plan/init.lua",
                           "share/lua/5.4/swh/plan/journal.lua" } do
      local f = io.open(prefix .. "/" .. file, "rb")
      assert.is_not_nil(f, file .. " is not installed")
      f:close()
    end
  end)

  it("lets a stock lua5.4 with that prefix's paths require swh", function()
    local prefix = installed.prefix
    local code = ([[
      local prefix = %q
      package.path = prefix .. "/share/lua/5.4/?.lua;" .. prefix .. "/share/lua/5.4/?/init.lua"
      package.cpath = prefix .. "/lib/lua/5.4/?.so"
      local swh = require "swh"
      print(swh._VERSION)
      print(package.searchpath("swh.core", package.cpath))
      print(swh.json.encode(swh.json.decode('{"a":[]}')))
      local c = assert(swh.client{ project_id = "p", key_id = "k", key_secret = "s" })
      print(tostring(c))
      print(type(require("swh.plan").plan), type(require("swh.plan.journal").open))
      ]]):format(prefix)
    local out, ok = helper.lua(code, { LUA_PATH = false, LUA_CPATH = false,
      LUA_PATH_5_4 = false, LUA_CPATH_5_4 = false })
    assert.is_true(ok, out)
    assert.equal("swh 0.1.0\n" .. prefix .. "/lib/lua/5.4/swh/core.so\n"
      .. '{"a":[]}\nswh.client (p)\nfunction\tfunction\n', out)
  end)

  it("targets paths a stock lua5.4 searches, so --prefix /usr/local needs no settings", function()
    local out = helper.lua("print(package.path) print(package.cpath)",
      { LUA_PATH = false, LUA_CPATH = false, LUA_PATH_5_4 = false, LUA_CPATH_5_4 = false })
    local path, cpath = out:match("^(.-)\n(.-)\n$")
    assert.is_not_nil(path:find("/usr/local/share/lua/5.4/?.lua", 1, true))
    assert.is_not_nil(path:find("/usr/local/share/lua/5.4/?/init.lua", 1, true))
    assert.is_not_nil(cpath:find("/usr/local/lib/lua/5.4/?.so", 1, true))
  end)
end)

describe("cmake --install of libswh", function()
  local installed = install("src/core")

  it("gives C programs libswh.a and its headers, as the README's link line says", function()
    local prefix = installed.prefix
    local source = prefix .. "/app.c"
    local f = assert(io.open(source, "w"))
    f:write([[
#include <stdio.h>
#include <swh.h>
int main(void) {
  char signature[SWH_SIGNATURE_SIZE];
  swh_error err;
  swh_error_init(&err);
  if (swh_signature_compute("my_secret_key", "{\"event\":\"test\"}", 16,
                            "01JHFFHWYY7HSS4FWTMDTQEK8V", "1736760161", signature,
                            &err) != SWH_OK)
    return 1;
  puts(signature);
  return 0;
}
]])
    f:close()
    local q = helper.shell_quote
    local out, ok = run(("cc %s -I%s $(pkg-config --cflags jansson) -L%s -lswh "
      .. "$(pkg-config --libs libcurl jansson libcrypto) -lpthread -o %s && %s"):format(
      q(source), q(prefix .. "/include/swh"), q(prefix .. "/lib"), q(prefix .. "/app"),
      q(prefix .. "/app")))
    assert.is_true(ok, out)
    assert.equal("ehhrg9MUuhpJUCo2drsI3zoqWViaojp8d6RahfBY3cg=\n", out)
  end)
end)
