-- swh.check: the one wording of misuse, raised at the script's line however deep in swh's
-- modules the check is made.
local swh = require "swh"
local check = require "swh.check"

-- The error of fn() and the line it was called from (the line after this call's).
local function raised(fn)
  local ok, err = pcall(fn)
  assert.is_false(ok)
  return err
end

describe("swh.check", function()
  it("words argument errors as luaL_argerror does, at the caller's line", function()
    local line = debug.getinfo(1, "l").currentline + 1
    local err = raised(function() check.argerror(2, "map", "function expected, got nil") end)
    assert.equal(("spec/check_spec.lua:%d: bad argument #2 to 'map' (function expected, got "
      .. "nil)"):format(line), err)
    line = debug.getinfo(1, "l").currentline + 1
    err = raised(function() check.type(nil, "string", 1, "get", "id") end)
    assert.equal(("spec/check_spec.lua:%d: bad argument #1 to 'get' (id: string expected, got "
      .. "nil)"):format(line), err)
  end)

  it("skips every level inside swh's modules, tail calls and tasks included", function()
    -- swh.plan reaches swh.plan's module through a wrapper; the check is two levels down.
    local line = debug.getinfo(1, "l").currentline + 1
    local err = raised(function() swh.plan(nil, {}) end)
    assert.equal(("spec/check_spec.lua:%d: bad argument #1 to 'plan' (swh client expected, "
      .. "got nil)"):format(line), err)
    -- A misuse inside a task of swh.map points at the function's line, not at the map's.
    -- (Not a tail call: that would leave no level of the function's to name.)
    local results = swh.map({ 1 }, function()
      local r = swh.map("x", print) -- the line the error names
      return r
    end)
    line = debug.getinfo(1, "l").currentline - 3
    assert.equal(("spec/check_spec.lua:%d: bad argument #1 to 'map' (table expected, got "
      .. "string)"):format(line), results[1].err)
    -- Called by pcall itself, with no Lua line above: no position, as error(msg, 2) gives.
    local ok
    ok, err = pcall(swh.map, "x", print)
    assert.is_false(ok)
    assert.equal("bad argument #1 to 'map' (table expected, got string)", err)
  end)

  it("reads options with the binding's wording", function()
    local kinds = { concurrency = check.POSITIVE_INTEGER, progress = check.LABEL,
                    on_result = check.FUNCTION, journal = check.PATH_OR_FALSE,
                    secrets = check.BOOLEAN }
    local opts = { concurrency = 2, progress = false, on_result = print, journal = "j",
                   secrets = true }
    assert.equal(opts, check.options(opts, 1, "f", kinds))
    assert.same({}, check.options(nil, 1, "f", kinds))
    local function message(o)
      return (raised(function() check.options(o, 3, "f", kinds) end)
        :gsub("^spec/check_spec%.lua:%d+: ", ""))
    end
    assert.equal("bad argument #3 to 'f' (options table expected, got string)", message("x"))
    assert.equal("bad argument #3 to 'f' (unknown option \"concurency\" (did you mean "
      .. "\"concurrency\"? known: concurrency, journal, on_result, progress, secrets))",
      message { concurency = 1 })
    assert.equal("bad argument #3 to 'f' (unknown option \"number\" (known: concurrency, "
      .. "journal, on_result, progress, secrets))", message { 16 })
    assert.equal("bad argument #3 to 'f' (concurrency: expected a positive integer, got -1)",
      message { concurrency = -1 })
    assert.equal("bad argument #3 to 'f' (progress: expected a label, or false, got boolean)",
      message { progress = true })
    assert.equal("bad argument #3 to 'f' (journal: expected a file path, or false, got string)",
      message { journal = "" })
    assert.equal("bad argument #3 to 'f' (on_result: expected a function, got table)",
      message { on_result = {} })
    assert.equal("bad argument #3 to 'f' (secrets: expected a boolean, got number)",
      message { secrets = 1 })
  end)

  it("names a C function's argument error as the script called it", function()
    assert.equal("bad argument #1 to 'client' (timeout: expected a number, got string)",
      check.renamed("bad argument #1 to 'swh.core.client' (timeout: expected a number, got "
        .. "string)", "client"))
    assert.equal("not an argument error", check.renamed("not an argument error", "client"))
  end)

  it("raises on a closed client", function()
    local closed = { is_closed = function() return true end }
    assert.equal("attempt to use a closed client",
      (raised(function() check.open(closed) end):gsub("^spec/check_spec%.lua:%d+: ", "")))
    check.open({ is_closed = function() return false end })
  end)
end)
