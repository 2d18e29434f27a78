-- swh.run, swh.spawn, swh.wait and swh.map: straight-line code with many requests in
-- flight, per-item results, and one failure never aborting the others.
local helper = require "helper"
local swh = require "swh"

local ok_system, system = pcall(require, "system")
local function now()
  return ok_system and system.gettime() or os.time()
end

describe("swh.map", function()
  local emu, client, apps

  lazy_setup(function()
    -- Every answer takes 200 ms: done one by one, 12 calls would take 2.4 s.
    emu = helper.emulator{ apps = 3, args = { "--latency", "200" } }
    client = helper.client(emu)
    apps = assert(client.apps:list())
  end)

  lazy_teardown(function()
    if emu then emu:stop() end
  end)

  it("runs the calls concurrently and returns results in input order", function()
    local items = {}
    for i = 1, 12 do
      items[i] = { app_id = apps[(i - 1) % 3 + 1].id, target = "https://example.com/map/" .. i }
    end
    local start = now()
    local results = swh.map(items, function(item) return client.webhooks:create(item) end)
    local elapsed = now() - start
    assert.equal(12, #results)
    for i, r in ipairs(results) do
      assert.is_true(r.ok)
      assert.equal(items[i].target, r.value.target)
      assert.equal(items[i].app_id, r.value.app_id)
    end
    assert.is_true(elapsed < 1.5, "12 creates took " .. elapsed .. " s")
    local deleted = swh.map(results, function(r) return client.webhooks:delete(r.value.id) end)
    for _, r in ipairs(deleted) do
      assert.same({ ok = true, value = true }, r)
    end
  end)

  it("keeps going when items fail, giving each its error", function()
    local items = { "fine", "missing", "invalid", "raises", "fine" }
    local results = swh.map(items, function(kind, i)
      if kind == "fine" then
        return client.webhooks:list(apps[1].id)
      elseif kind == "missing" then
        return client.webhooks:get("01NOSUCHWEBHOOK00000000000")
      elseif kind == "invalid" then
        return client.webhooks:create{ app_id = apps[1].id, target = "ftp://example.com" }
      end
      error("item " .. i .. " raised", 0)
    end)
    assert.equal(5, #results)
    assert.is_true(results[1].ok)
    assert.equal(swh.array_mt, getmetatable(results[1].value))
    assert.is_false(results[2].ok)
    assert.equal("NOT_FOUND (404): Webhook not found [GET /v1/projects/emulator-project/"
      .. "webhooks/01NOSUCHWEBHOOK00000000000]", tostring(results[2].err))
    assert.is_false(results[3].ok)
    assert.equal("validation", results[3].err.kind)
    assert.equal("webhook.target: must be an http or https URL, not ftp", results[3].err.message)
    assert.same({ ok = false, err = "item 4 raised" }, results[4])
    assert.is_true(results[5].ok)
  end)

  it("keeps at most opts.concurrency items in flight", function()
    local in_flight, most = 0, 0
    local items = {}
    for i = 1, 6 do items[i] = i end
    local results = swh.map(items, function()
      in_flight = in_flight + 1
      most = math.max(most, in_flight)
      local list, err = client.apps:list()
      in_flight = in_flight - 1
      return list, err
    end, { concurrency = 2 })
    assert.equal(6, #results)
    assert.equal(2, most)
  end)

  it("returns an empty table for no items", function()
    assert.same({}, swh.map({}, function() error("not called") end))
  end)

  it("works inside swh.run, in the same scheduler", function()
    local results = swh.run(function()
      local t = swh.spawn(function() return client.apps:list() end)
      local r = swh.map({ 1, 2 }, function() return client.apps:list() end)
      local ok, list = swh.wait(t)
      assert.is_true(ok)
      assert.equal(3, #list)
      return r
    end)
    assert.equal(2, #results)
    assert.is_true(results[1].ok and results[2].ok)
  end)

  it("drives the calls of several clients in one map", function()
    local other = helper.client(emu, { auth = "basic" })
    local results = swh.map({ client, other, client, other }, function(c)
      return c.apps:list()
    end)
    for _, r in ipairs(results) do
      assert.is_true(r.ok)
      assert.equal(3, #r.value)
    end
  end)

  it("ends the waiting calls of a client closed meanwhile", function()
    local c = helper.client(emu, { auth = "basic" })
    local results = swh.map({ 1, 2, 3 }, function(i)
      if i == 3 then
        c:close()
        return true
      end
      return c.apps:list()
    end)
    assert.is_false(results[1].ok)
    assert.equal("client closed before the call finished", results[1].err.message)
    assert.is_false(results[2].ok)
    assert.same({ ok = true, value = true }, results[3])
  end)

  it("refuses bad arguments", function()
    local function message(...)
      local args = table.pack(...)
      local ok, err = pcall(function() swh.map(table.unpack(args, 1, args.n)) end)
      assert.is_false(ok)
      return (err:gsub("^spec/tasks_spec%.lua:%d+: ", ""))
    end
    assert.equal("bad argument #1 to 'map' (table expected, got string)", message("x", print))
    assert.equal("bad argument #2 to 'map' (function expected, got nil)", message({}))
    assert.equal("bad argument #3 to 'map' (unknown option \"colour\" (known: concurrency, "
      .. "progress))", message({}, print, { colour = 1 }))
    assert.equal("bad argument #3 to 'map' (unknown option \"concurency\" (did you mean "
      .. "\"concurrency\"? known: concurrency, progress))",
      message({}, print, { concurency = 1 }))
    assert.equal("bad argument #3 to 'map' (unknown option \"number\" (known: concurrency, "
      .. "progress))", message({}, print, { 16 }))
    assert.equal("bad argument #3 to 'map' (progress: expected a label, or false, got boolean)",
      message({}, print, { progress = true }))
    assert.same({}, swh.map({}, print, { progress = false }))
    -- The one wording of swh.check for every option (swh.map said "expected a number" for a
    -- string, and no "got" for 0, before it): what was expected, then what came.
    assert.equal("bad argument #3 to 'map' (concurrency: expected a positive integer, got 0)",
      message({}, print, { concurrency = 0 }))
    assert.equal("bad argument #3 to 'map' (concurrency: expected a positive integer, got 1.5)",
      message({}, print, { concurrency = 1.5 }))
    assert.equal("bad argument #3 to 'map' (concurrency: expected a positive integer, got "
      .. "string)", message({}, print, { concurrency = "8" }))
  end)
end)

describe("swh.map's progress bar", function()
  local script = [[
    local swh = require "swh"
    swh.quiet = %s
    swh.map({ 1, 2, 3, 4 }, function(i) if i == 2 then return nil, "no" end return i end,
      { progress = "Working" })
    io.stderr:write("end\n")]]

  it("writes only its last state when stderr is not a terminal, counting failures", function()
    assert.equal("Working [==============================] 4/4 (1 failed)\nend\n",
      helper.lua(script:format("false")))
  end)

  it("redraws in place on a terminal", function()
    -- script(1) gives the child a pseudo-terminal; the terminal turns "\n" into "\r\n"
    local command = ("env LUA_PATH=%s LUA_CPATH=%s lua5.4 -e %s"):format(
      helper.shell_quote(package.path), helper.shell_quote(package.cpath),
      helper.shell_quote(script:format("false")))
    local f = assert(io.popen("script -qec " .. helper.shell_quote(command) .. " /dev/null"))
    local out = f:read("a")
    f:close()
    assert.matches("^\rWorking %[=======                       %] 1/4\r", out)
    assert.equal("Working [==============================] 4/4 (1 failed)\r\nend\r\n",
      out:match("\r(Working [^\r]*\r\nend\r\n)$"))
  end)

  it("is not drawn when swh.quiet is set", function()
    assert.equal("end\n", helper.lua(script:format("true")))
  end)
end)

describe("swh.run, swh.spawn and swh.wait", function()
  it("return what the root function returns", function()
    local results = table.pack(swh.run(function(a, b) return a, nil, b end, 1, 3))
    assert.same({ 1, nil, 3, n = 3 }, results)
  end)

  it("give wait the results of a task, or false and its error", function()
    local ok1, v1, ok2, e2 = swh.run(function()
      local a = swh.spawn(function(x) return x * 2 end, 21)
      local err = setmetatable({ kind = "http", message = "m" }, swh.error_mt)
      local b = swh.spawn(function() error(err) end)
      local okb, eb = swh.wait(b)
      local oka, va = swh.wait(a)
      assert.equal(err, eb)
      return oka, va, okb, tostring(eb)
    end)
    assert.same({ true, 42, false, "http: m" }, { ok1, v1, ok2, e2 })
  end)

  it("raise the root's error", function()
    local ok, err = pcall(swh.run, function() error("root failed", 0) end)
    assert.is_false(ok)
    assert.equal("root failed", err)
  end)

  it("raise the error of a task nobody waited for", function()
    local ok, err = pcall(swh.run, function() swh.spawn(function() error("lost", 0) end) end)
    assert.is_false(ok)
    assert.equal("swh.run: a task failed and nobody waited for it: lost", err)
  end)

  it("find tasks that wait for each other", function()
    local ok, err = pcall(swh.run, function()
      local a, b
      a = swh.spawn(function() return swh.wait(b) end)
      b = swh.spawn(function() return swh.wait(a) end)
      return swh.wait(a)
    end)
    assert.is_false(ok)
    assert.equal("swh.run: every task left waits for another one (a deadlock)", err)
  end)

  it("fail a task that yields to the scheduler itself", function()
    local ok, err = swh.run(function()
      return swh.wait(swh.spawn(function() coroutine.yield("mine") end))
    end)
    assert.is_false(ok)
    assert.equal("a task yielded to swh's scheduler: call coroutine.yield only inside "
      .. "coroutines of your own", err)
  end)

  it("leave a user's own coroutines inside a task alone", function()
    local values = swh.run(function()
      local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
      return { gen(), gen(), gen() }
    end)
    assert.same({ 1, 2, 3 }, values)
  end)

  it("refuse spawn and wait outside a task, and waiting for oneself", function()
    local ok, err = pcall(function() swh.spawn(print) end)
    assert.is_false(ok)
    assert.matches("swh.spawn: only inside swh.run %(or swh.map%): swh.run%(function%(%) … "
      .. "end%)$", err)
    local task
    swh.run(function() task = swh.spawn(function() end) end)
    assert.equal("swh.task (done)", tostring(task))
    ok, err = pcall(function() swh.wait(task) end)
    assert.is_false(ok)
    assert.matches("swh.wait: only inside a task of swh.run$", err)
    ok, err = pcall(swh.run, function()
      local me
      me = swh.spawn(function() return swh.wait(me) end)
      local okw, e = swh.wait(me)
      error(e, 0)
      return okw
    end)
    assert.is_false(ok)
    assert.matches("swh.wait: a task cannot wait for itself$", err)
    ok, err = pcall(function() swh.wait("x") end)
    assert.is_false(ok)
    assert.matches("bad argument #1 to 'wait' %(task expected, got string%)$", err)
  end)
end)
