-- Lifetimes in the binding: clients and calls are freed when nobody holds them, a call in
-- flight keeps its client alive, and closing a client ends the calls it still runs.
local helper = require "helper"
local swh = require "swh"

local function full_gc()
  collectgarbage()
  collectgarbage()
end

-- Steps core_client until call is done, at most 10 s.
local function wait(core_client, call)
  local deadline = os.time() + 10
  while not call:done() do
    assert(os.time() <= deadline, "the call did not finish in 10 s")
    core_client:step(50)
  end
end

describe("lifetime", function()
  local emu, slow

  lazy_setup(function()
    emu = helper.emulator{ apps = 2 }
    slow = helper.emulator{ apps = 2, args = { "--latency", "300" } }
  end)

  lazy_teardown(function()
    if emu then emu:stop() end
    if slow then slow:stop() end
  end)

  it("frees a client nobody holds, with its core", function()
    local weak = setmetatable({}, { __mode = "v" })
    do
      local c = helper.client(emu)
      assert.equal(2, #assert(c.apps:list()))
      weak.client, weak.core, weak.webhooks = c, c._core, c.webhooks
    end
    full_gc()
    assert.is_nil(weak.client)
    assert.is_nil(weak.core)
    assert.is_nil(weak.webhooks)
  end)

  it("frees a closed client too", function()
    local weak = setmetatable({}, { __mode = "v" })
    do
      local c = helper.client(emu)
      c:close()
      weak.client, weak.core = c, c._core
    end
    full_gc()
    assert.is_nil(weak.client)
    assert.is_nil(weak.core)
  end)

  it("frees finished calls", function()
    local c = helper.client(emu)
    local weak = setmetatable({}, { __mode = "v" })
    do
      local call = c._core:start("apps.list")
      wait(c._core, call)
      assert.equal(2, #assert(call:finish()))
      weak.call = call
    end
    full_gc()
    assert.is_nil(weak.call)
  end)

  it("keeps a call in flight working when the script drops its client", function()
    local weak = setmetatable({}, { __mode = "v" })
    local call
    do
      local c = helper.client(slow)
      call = c._core:start("apps.list")
      weak.client, weak.core = c, c._core
    end
    full_gc()
    assert.is_nil(weak.client) -- the Lua wrapper went
    assert.is_not_nil(weak.core) -- the call holds the core client
    assert.is_false(weak.core:is_closed())
    wait(weak.core, call)
    local apps = assert(call:finish())
    assert.equal(2, #apps)
    call = nil -- luacheck: ignore
    full_gc()
    assert.is_nil(weak.core)
  end)

  it("abandons a call dropped in flight, and the client goes on", function()
    local c = helper.client(slow, { auth = "basic" })
    local weak = setmetatable({}, { __mode = "v" })
    do
      local call = c._core:start("apps.list")
      c._core:step(0)
      assert.is_false(call:done())
      weak.call = call
    end
    full_gc()
    assert.is_nil(weak.call)
    assert.equal(2, #assert(c.apps:list()))
    assert.is_nil(c._core:next_done()) -- the abandoned call is nobody's
  end)

  it("ends the calls in flight when the client closes", function()
    local c = helper.client(slow, { auth = "basic" })
    local call = c._core:start("apps.list")
    c._core:step(0)
    c:close()
    assert.is_true(call:done())
    local apps, err = call:finish()
    assert.is_nil(apps)
    assert.equal("usage", err.kind)
    assert.equal("client closed before the call finished", err.message)
  end)

  it("frees a call dropped unfinished after its client closed", function()
    local c = helper.client(slow, { auth = "basic" })
    local weak = setmetatable({}, { __mode = "v" })
    do
      local call = c._core:start("apps.list")
      c._core:step(0)
      c:close()
      weak.call = call
    end
    full_gc()
    assert.is_nil(weak.call)
    assert.equal("swh.client (closed)", tostring(c))
  end)

  it("says what a call is doing, and refuses to finish it early or twice", function()
    local c = helper.client(slow, { auth = "basic" })
    local call = c._core:start("apps.list")
    assert.equal("swh.call (running)", tostring(call))
    local ok, err = pcall(call.finish, call)
    assert.is_false(ok)
    assert.equal("attempt to finish a call that is not done (step its client first)", err)
    wait(c._core, call)
    assert.equal("swh.call (done)", tostring(call))
    assert.equal(2, #assert(call:finish()))
    assert.equal("swh.call (finished)", tostring(call))
    ok, err = pcall(call.finish, call)
    assert.is_false(ok)
    assert.equal("attempt to finish a call twice", err)
  end)

  it("hands out every done call once with next_done, then nil", function()
    local c = helper.client(emu)
    local started = {}
    for i = 1, 3 do
      started[c._core:start("apps.list")] = i
    end
    local seen = {}
    local deadline = os.time() + 10
    while c._core:step(50) > 0 do
      assert(os.time() <= deadline, "the calls did not finish in 10 s")
    end
    for _ = 1, 3 do
      local call = c._core:next_done()
      assert.is_not_nil(started[call])
      assert.is_nil(seen[call])
      seen[call] = true
      assert.equal(2, #assert(call:finish()))
    end
    assert.is_nil(c._core:next_done())
  end)
end)

describe("calls inside coroutines", function()
  local emu, client

  lazy_setup(function()
    emu = helper.emulator{ apps = 2, args = { "--latency", "50" } }
    client = helper.client(emu)
  end)

  lazy_teardown(function()
    swh._install_scheduler(nil)
    if emu then emu:stop() end
  end)

  it("yield the scheduler's sentinel inside a task, then finish when resumed", function()
    local task
    local sentinel = swh._install_scheduler(function(co) return co == task end)
    task = coroutine.create(function() return client.apps:list() end)
    local ok, yielded, call, core_client = coroutine.resume(task)
    assert.is_true(ok)
    assert.equal(sentinel, yielded)
    assert.equal(client._core, core_client)
    assert.equal("swh.call (running)", tostring(call))
    local steps = 0
    while not call:done() do
      steps = steps + 1
      assert(steps < 500, "the call did not finish")
      core_client:step(20)
    end
    local apps
    ok, apps = coroutine.resume(task)
    assert.is_true(ok)
    assert.equal(2, #apps)
    assert.equal("dead", coroutine.status(task))
    swh._install_scheduler(nil)
  end)

  it("block in a coroutine that is not a task, so user coroutines see no yield", function()
    swh._install_scheduler(function() return false end)
    local co = coroutine.wrap(function() local apps = client.apps:list() return #apps end)
    assert.equal(2, co())
    swh._install_scheduler(nil)
  end)

  it("block when no scheduler is installed", function()
    local co = coroutine.wrap(function() local apps = client.apps:list() return #apps end)
    assert.equal(2, co())
  end)

  it("refuses a hook that is not a function", function()
    local ok, err = pcall(swh._install_scheduler, 42)
    assert.is_false(ok)
    assert.matches("bad argument #1 to '_install_scheduler' %(function or nil expected, got "
      .. "number%)$", err)
  end)
end)
