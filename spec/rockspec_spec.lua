-- swh-0.1.0-1.rockspec: `luarocks make` in a clean copy of the tree, with no network,
-- installs swh and swh.emulator (C and Lua parts) into a rocks tree that a stock lua5.4
-- uses through `luarocks path`.
local helper = require "helper"
local q = helper.shell_quote

local function run(command)
  local f = assert(io.popen(command .. " 2>&1", "r"))
  local out = f:read("a")
  local ok = f:close()
  return out, ok == true
end

describe("luarocks make", function()
  local dir

  lazy_setup(function()
    dir = os.tmpname()
    os.remove(dir)
    -- The files of the checkout (committed or not, ignored ones left out), not its builds.
    local out, ok = run(("mkdir -p %s/src && git -C %s ls-files -co --exclude-standard -z "
      .. "| (cd %s && xargs -0 tar -cf -) | tar -xf - -C %s/src"):format(
      q(dir), q(helper.root), q(helper.root), q(dir)))
    assert(ok, out)
  end)

  lazy_teardown(function()
    if dir then run("rm -rf " .. q(dir)) end
  end)

  it("builds and installs swh from a clean tree without network, usable by lua5.4", function()
    local tree = dir .. "/tree"
    local out, ok = run(("cd %s/src && CMAKE_BUILD_PARALLEL_LEVEL=2 unshare -n luarocks "
      .. "--lua-version 5.4 --tree %s make swh-0.1.0-1.rockspec"):format(q(dir), q(tree)))
    assert.is_true(ok, out)
    assert.matches("swh 0.1.0%-1 is now installed in " .. tree:gsub("%p", "%%%0")
      .. " %(license: MIT%)", out)
    -- Only the Lua modules: no libswh, headers or executables in the tree.
    local files = run(("cd %s && find . -type f ! -path './lib/luarocks/*' | sort"):format(
      q(tree)))
    assert.equal("./lib/lua/5.4/swh/core.so\n./lib/lua/5.4/swh/emulator/core.so\n",
      files:gsub("%./share/lua/5%.4/swh/[%w_/]+%.lua\n", ""))
    assert.matches("./share/lua/5.4/swh/init.lua\n", files, 1, true)
    assert.matches("./share/lua/5.4/swh/loop/luv.lua\n", files, 1, true)
    out, ok = run(("cd /tmp && unset LUA_PATH LUA_CPATH LUA_PATH_5_4 LUA_CPATH_5_4 && "
      .. "eval \"$(luarocks --lua-version 5.4 --tree %s path)\" && lua5.4 %s"):format(
      q(tree), q(helper.root .. "/spec/install/crud.lua")))
    assert.is_true(ok, out)
    assert.equal("swh 0.1.0\t" .. tree .. "/lib/lua/5.4/swh/core.so\n"
      .. "https://example.com/a\nhttps://example.com/b\n1\n404\thttp\n", out)
  end)
end)
