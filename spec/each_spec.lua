-- swh.each: swh.map that keeps no results (each is handed to on_result as it ends), so that
-- a run over many items holds no more memory at the end than at the start; and what a map
-- says when it asks for more requests at once than its client sends.
local helper = require "helper"
local swh = require "swh"

-- Lua's heap in bytes, after a full collection.
local function heap()
  collectgarbage()
  collectgarbage()
  return collectgarbage("count") * 1024
end

describe("swh.each", function()
  local emu, client, apps

  lazy_setup(function()
    emu = helper.emulator{ apps = 4, args = { "--rate-limit", "-1" } }
    client = helper.client(emu, { rate = 1e6 })
    apps = assert(client.apps:list())
  end)

  lazy_teardown(function()
    if emu then emu:stop() end
  end)

  it("hands every result of 2,500 calls to on_result once, errors as data", function()
    local n = 2500
    local items = {}
    for i = 1, n do items[i] = i end
    local seen, order, wrong = {}, {}, {}
    local succeeded, failed = swh.each(items, function(i)
      if i % 5 == 0 then return client.webhooks:get("01NOSUCHWEBHOOK" .. ("0"):rep(11)) end
      if i % 7 == 0 then error("item " .. i .. " raised", 0) end
      return client.webhooks:list(apps[i % 4 + 1].id)
    end, { concurrency = 32, on_result = function(i, ok, value)
      seen[i] = (seen[i] or 0) + 1
      order[#order + 1] = i
      local want_ok = i % 5 ~= 0 and i % 7 ~= 0
      if ok ~= want_ok then wrong[#wrong + 1] = i end
      if i % 5 == 0 and not (swh.is_error(value) and value.http_status == 404) then
        wrong[#wrong + 1] = i
      elseif i % 5 ~= 0 and i % 7 == 0 and value ~= "item " .. i .. " raised" then
        wrong[#wrong + 1] = i
      elseif want_ok and getmetatable(value) ~= swh.array_mt then
        wrong[#wrong + 1] = i
      end
    end })
    local raised = 0
    for i = 1, n do if i % 7 == 0 and i % 5 ~= 0 then raised = raised + 1 end end
    assert.equal(n - n // 5 - raised, succeeded)
    assert.equal(n // 5 + raised, failed)
    assert.same({}, wrong)
    assert.equal(n, #order)
    for i = 1, n do assert.equal(1, seen[i], "item " .. i) end
    -- calls in flight end in their own order: the results are not all in input order
    local in_order = true
    for k = 1, n do if order[k] ~= k then in_order = false end end
    assert.is_false(in_order)
  end)

  it("keeps no result: the heap after 20,000 items of 1 KB is what it was", function()
    local n = 20000
    local items = {}
    for i = 1, n do items[i] = i end
    local base = heap()
    local most = 0
    local succeeded, failed = swh.each(items, function(i)
      return { payload = ("x"):rep(1000) .. i } -- a new 1 KB string each time
    end, { on_result = function(i, ok, value)
      assert(ok and #value.payload > 1000)
      if i % 1000 == 0 then most = math.max(most, heap() - base) end
    end })
    assert.equal(n, succeeded)
    assert.equal(0, failed)
    assert.is_true(most < 1e6, ("the heap grew by %d bytes during the run"):format(most))
    assert.is_true(heap() - base < 1e5, "the run left its results behind")
    -- what swh.map keeps of the same run, so the bound above means something
    local results = swh.map(items, function(i) return { payload = ("x"):rep(1000) .. i } end)
    assert.is_true(heap() - base > n * 1000)
    assert.equal(n, #results)
  end)

  it("counts results without on_result, and does nothing for no items", function()
    assert.same({ 2, 1 }, { swh.each({ 1, 2, 3 }, function(i)
      if i == 2 then return nil, "no" end
      return i
    end) })
    assert.same({ 0, 0 }, { swh.each({}, function() error("not called") end) })
  end)

  it("stops starting items when on_result raises, and raises its error", function()
    local items, calls = {}, 0
    for i = 1, 100 do items[i] = i end
    local ok, err = pcall(swh.each, items, function(i)
      calls = calls + 1
      return i
    end, { concurrency = 4, on_result = function(i)
      if i == 10 then error("enough at 10", 0) end
    end })
    assert.is_false(ok)
    assert.equal("enough at 10", err)
    -- nothing in fn yields, so one worker takes the items one after the other
    assert.equal(10, calls)
  end)

  it("refuses bad arguments", function()
    local function message(...)
      local args = table.pack(...)
      local ok, err = pcall(function() swh.each(table.unpack(args, 1, args.n)) end)
      assert.is_false(ok)
      return (err:gsub("^spec/each_spec%.lua:%d+: ", ""))
    end
    assert.equal("bad argument #1 to 'each' (table expected, got nil)", message(nil, print))
    assert.equal("bad argument #2 to 'each' (function expected, got table)", message({}, {}))
    assert.equal("bad argument #3 to 'each' (on_result: expected a function, got string)",
      message({}, print, { on_result = "print" }))
    assert.equal("bad argument #3 to 'each' (unknown option \"on_reslt\" (did you mean "
      .. "\"on_result\"? known: concurrency, on_result, progress))",
      message({}, print, { on_reslt = print }))
    local ok, err = pcall(swh.map, {}, print, { on_result = print })
    assert.is_false(ok)
    assert.equal("bad argument #3 to 'map' (unknown option \"on_result\" (known: "
      .. "concurrency, progress))", err)
  end)
end)

describe("client:settings()", function()
  it("gives the limits the client paces by: the API's 800/s and 64 in flight by default",
    function()
      local opts = { project_id = "p", key_id = "k", key_secret = "s",
                     base_url = "http://127.0.0.1:9" }
      local c = assert(swh.client(opts))
      -- every effective setting but the secrets, defaults applied
      assert.same({ project_id = "p", base_url = "http://127.0.0.1:9", auth = "oauth2",
                    token_requests = true,
                    auth_url = "https://auth.sinch.com/oauth2/token", timeout = 30,
                    retries = 10, retry_time = 30, concurrency = 64, rate = 800,
                    allow_insecure_http = false }, c:settings())
      opts.concurrency, opts.rate = 5, 12.5
      local s = assert(swh.client(opts)):settings()
      assert.same({ 5, 12.5 }, { s.concurrency, s.rate })
      c:close()
      local ok, err = pcall(c.settings, c)
      assert.is_false(ok)
      assert.matches("attempt to use a closed client$", err)
      ok, err = pcall(c.settings, {})
      assert.is_false(ok)
      assert.matches("calling 'settings' on bad self %(use client:settings%(%)%)$", err)
    end)
end)

describe("a map asking for more at once than its client sends", function()
  local emu

  lazy_setup(function()
    emu = helper.emulator{ apps = 2, args = { "--rate-limit", "-1" } }
  end)

  lazy_teardown(function()
    if emu then emu:stop() end
  end)

  local script = [[
    local swh = require "swh"
    local c = assert(swh.client{ project_id = %q, key_id = %q, key_secret = %q,
      base_url = %q, auth_url = %q, concurrency = 4 })
    local items = {}
    for i = 1, 20 do items[i] = i end
    local results = swh.%s(items, function() return c.apps:list() end, { concurrency = %s })
    io.stderr:write("end ", tostring(type(results) == "table" and #results or results), "\n")
  ]]

  local function run(fname, concurrency)
    return helper.lua(script:format(emu.project_id, emu.key_id, emu.key_secret, emu.url,
      emu.auth_url, fname, tostring(concurrency)))
  end

  it("says so once on stderr, naming both numbers and the way to raise it", function()
    assert.equal("swh: swh.map asks for 32 requests at once, but its client sends at most 4 "
      .. "(the others wait their turn): swh.client{concurrency = 32} raises it\nend 20\n",
      run("map", 32))
    assert.equal("swh: swh.each asks for 5 requests at once, but its client sends at most 4 "
      .. "(the others wait their turn): swh.client{concurrency = 5} raises it\nend 20\n",
      run("each", 5))
  end)

  it("says nothing when the client allows as many, or when the map runs at its default",
    function()
      assert.equal("end 20\n", run("map", 4))
      assert.equal("end 20\n", run("map", nil)) -- 64, more than 4, but not asked for
    end)
end)
