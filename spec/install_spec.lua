-- `cmake --install` puts swh where a stock lua5.4 finds it: core.so under lib/lua/5.4/swh/,
-- the Lua files under share/lua/5.4/swh/.
local helper = require "helper"

local function run(command)
  local f = assert(io.popen(command .. " 2>&1", "r"))
  local out = f:read("a")
  local ok = f:close()
  return out, ok == true
end

-- For the describe block that calls it: installs the parts of the build under dirs into a
-- fresh prefix before its specs, removes it after them. Returns a table whose prefix field
-- is set once installed.
local function install(...)
  local dirs = { ... }
  local installed = {}
  lazy_setup(function()
    installed.prefix = os.tmpname()
    os.remove(installed.prefix)
    for _, dir in ipairs(dirs) do
      local out, ok = run(("cmake --install %s --prefix %s"):format(
        helper.shell_quote(helper.build .. "/" .. dir), helper.shell_quote(installed.prefix)))
      assert(ok, "cmake --install failed: " .. out)
    end
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

-- What spec/install/crud.lua prints, run with the C module core_so.
local function lua_crud_output(core_so)
  return "swh 0.1.0\t" .. core_so .. "\nhttps://example.com/a\nhttps://example.com/b\n1\n"
    .. "404\thttp\n"
end

-- What spec/install/crud.c prints, built as C or as C++ against an installed libswh.
local function crud_output(language)
  return language .. " https://example.com/a\nupdated https://example.com/b\nlisted 1\n"
    .. "deleted 404 http\n"
end

local function lines_of(text)
  local list = {}
  for line in text:gmatch("[^\n]+") do list[#list + 1] = line end
  table.sort(list)
  return list
end

describe("cmake --install of libswh and libswh-emulator", function()
  local installed = install("src/core", "src/emulator", "src/binding")
  local q = helper.shell_quote
  local crud = helper.root .. "/spec/install/crud.c"

  -- Runs command with only the installed prefix's pkg-config files in view.
  local function with_pkg_config(command)
    return run(("export PKG_CONFIG_PATH=%s; %s"):format(q(installed.prefix .. "/lib/pkgconfig"),
      command))
  end

  it("installs the public headers under include/swh and no private one", function()
    local out = run("ls " .. q(installed.prefix .. "/include/swh"))
    assert.same({ "swh.h", "swh_client.h", "swh_emulator.h", "swh_error.h", "swh_export.h",
                  "swh_file.h", "swh_project.h", "swh_signature.h", "swh_snapshot.h",
                  "swh_webhook.h" }, lines_of(out))
  end)

  it("gives libswh.so and libswh-emulator.so a soname of major version 0", function()
    local lib = installed.prefix .. "/lib/"
    local out = run("objdump -p " .. q(lib .. "libswh.so.0.1.0") .. " | grep -E 'SONAME'")
    assert.equal("libswh.so.0", out:match("SONAME%s+(%S+)"))
    out = run("objdump -p " .. q(lib .. "libswh-emulator.so.0.1.0")
      .. " | grep -E 'SONAME|NEEDED'")
    assert.equal("libswh-emulator.so.0", out:match("SONAME%s+(%S+)"))
    assert.matches("NEEDED%s+libswh%.so%.0\n", out)
    assert.equal("libswh.so.0.1.0\n", run("readlink " .. q(lib .. "libswh.so.0")))
  end)

  it("exports from libswh.so exactly the functions its installed headers declare", function()
    local prefix = installed.prefix
    local exported = run("nm -D --defined-only " .. q(prefix .. "/lib/libswh.so")
      .. " | awk '{print $3}'")
    -- Every prototype, marked SWH_API or not: one not marked would be missing from the list.
    local declared = run("cat " .. q(prefix .. "/include/swh") .. "/*.h | grep -v swh_emulator"
      .. " | grep -oE '^(SWH_API )?[a-z][a-z_ ]*[ *]+swh_[a-z_0-9]+\\(' | grep -v '^typedef'"
      .. " | grep -oE 'swh_[a-z_0-9]+\\($' | tr -d '('")
    local names = lines_of(exported)
    assert.is_true(#names > 50, exported)
    for _, name in ipairs(names) do assert.matches("^swh_", name) end
    assert.same(lines_of(declared), names)
    exported = run("nm -D --defined-only " .. q(prefix .. "/lib/libswh-emulator.so")
      .. " | awk '{print $3}'")
    assert.same({ "swh_emulator_expire_tokens", "swh_emulator_project", "swh_emulator_snapshot",
                  "swh_emulator_start", "swh_emulator_stop", "swh_emulator_url" },
                lines_of(exported))
  end)

  it("builds C and C++ programs with pkg-config, shared and static, that do CRUD", function()
    local prefix = installed.prefix
    local bin = prefix .. "/pc"
    local builds = {
      { "c", "cc -x c", "$(pkg-config --cflags --libs libswh-emulator libswh) -Wl,-rpath,"
        .. q(prefix .. "/lib"), true },
      { "c++", "g++ -x c++", "$(pkg-config --cflags --libs libswh-emulator libswh) -Wl,-rpath,"
        .. q(prefix .. "/lib"), true },
      { "c", "cc -x c", "$(pkg-config --cflags libswh-emulator) "
        .. "-L$(pkg-config --variable=libdir libswh) -l:libswh-emulator.a -l:libswh.a "
        .. "$(pkg-config --libs libmicrohttpd libcurl libcrypto jansson) -lpthread -lm", false },
      { "c++", "g++ -x c++", "$(pkg-config --cflags libswh-emulator) "
        .. "-L$(pkg-config --variable=libdir libswh) -l:libswh-emulator.a -l:libswh.a "
        .. "$(pkg-config --libs libmicrohttpd libcurl libcrypto jansson) -lpthread -lm", false },
    }
    for i, build in ipairs(builds) do
      local language, compiler, flags, shared = build[1], build[2], build[3], build[4]
      local program = bin .. i
      local out, ok = with_pkg_config(("cd /tmp && %s %s -x none %s -o %s"):format(
        compiler, q(crud), flags, q(program)))
      assert.is_true(ok, out)
      out, ok = run(q(program))
      assert.is_true(ok, out)
      assert.equal(crud_output(language), out)
      local ldd = run("ldd " .. q(program))
      if shared then
        assert.is_not_nil(ldd:find("libswh.so.0 => " .. prefix .. "/lib/libswh.so.0", 1, true), ldd)
      else
        assert.is_nil(ldd:find("libswh", 1, true), ldd)
      end
    end
  end)

  it("builds C and C++ programs with find_package(swh CONFIG), shared and static", function()
    local prefix = installed.prefix
    local build = prefix .. "/cmake-build"
    local out, ok = run(("cd /tmp && cmake -S %s -B %s -DCMAKE_PREFIX_PATH=%s "
      .. "-DCMAKE_BUILD_TYPE=Release >/dev/null && cmake --build %s -j2 >/dev/null"):format(
      q(helper.root .. "/spec/install"), q(build), q(prefix), q(build)))
    assert.is_true(ok, out)
    for program, language in pairs{ crud_c = "c", crud_cpp = "c++", crud_c_static = "c",
                                    crud_cpp_static = "c++" } do
      out, ok = run(q(build .. "/" .. program))
      assert.is_true(ok, out)
      assert.equal(crud_output(language), out)
      local ldd = run("ldd " .. q(build .. "/" .. program))
      local uses_shared = ldd:find(prefix .. "/lib/libswh.so.0", 1, true) ~= nil
      assert.equal(not program:find("static"), uses_shared, program .. ": " .. ldd)
    end
  end)

  it("lets a stock lua5.4 with only that prefix on its paths do CRUD", function()
    local prefix = installed.prefix
    local code = ([[
      local prefix = %q
      package.path = prefix .. "/share/lua/5.4/?.lua;" .. prefix .. "/share/lua/5.4/?/init.lua"
      package.cpath = prefix .. "/lib/lua/5.4/?.so"
      dofile(%q)]]):format(prefix, helper.root .. "/spec/install/crud.lua")
    local out, ok = helper.lua(code, { LUA_PATH = false, LUA_CPATH = false,
      LUA_PATH_5_4 = false, LUA_CPATH_5_4 = false })
    assert.is_true(ok, out)
    assert.equal(lua_crud_output(prefix .. "/lib/lua/5.4/swh/core.so"), out)
  end)
end)
