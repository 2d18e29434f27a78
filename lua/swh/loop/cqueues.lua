--- swh.loop.cqueues: swh inside a cqueues controller.
--
--   local cqueues = require "cqueues"
--   require("swh.loop.cqueues").use()  -- swh.use_loop with this adapter
--   local cq = cqueues.new()
--   cq:wrap(function()                  -- every coroutine of a controller is a task
--     local hooks = assert(client.webhooks:list(app_id))
--   end)
--   assert(cq:loop())
--
-- While a task waits for one of a client's calls, a coroutine of that client's own (its
-- pump) polls the client's one descriptor (driver:fd(): cqueues must be told of a
-- descriptor before it is closed, and libcurl closes its sockets itself) and its timer
-- with cqueues.poll, and hands them to the core; it ends when no task waits, so cq:loop()
-- returns once the tasks are done.

local cqueues = require "cqueues"
local condition = require "cqueues.condition"
local swh_loop = require "swh.loop"

local max, setmetatable = math.max, setmetatable
local co_running = coroutine.running
local cancel, monotime, poll, running =
  cqueues.cancel, cqueues.monotime, cqueues.poll, cqueues.running

local M = {}

local waits = setmetatable({}, { __mode = "k" }) -- task -> the condition it waits on
local pumps = setmetatable({}, { __mode = "k" }) -- driver -> its pump's state

local function pump_state(driver)
  local state = pumps[driver]
  if not state then
    local fd = driver:fd()
    state = {
      -- The client's descriptor as cqueues.poll takes it.
      readable = { pollfd = function() return fd end, events = function() return "r" end },
      fd = fd,
      deadline = nil,
      wake = condition.new(),
      running = false,
    }
    pumps[driver] = state
  end
  return state
end

-- The pump of driver: polls its descriptor and timer while a task waits for its calls.
local function pump(driver, state)
  while driver:busy() do
    local timeout = state.deadline and max(0, state.deadline - monotime())
    local first, second = poll(state.readable, state.wake, timeout)
    if first == state.readable or second == state.readable then driver:ready_any() end
    if state.deadline and monotime() >= state.deadline then
      state.deadline = nil
      driver:timeout()
    end
  end
  -- Forgotten until the next pump: the client may be closed (and its descriptor) meanwhile.
  cancel(state.fd)
  state.running = false
end

-- Starts the pump of driver in the running controller, unless it runs already.
local function ensure_pump(driver, state)
  state.wake:signal()
  if state.running or not driver:busy() then return end
  local cq = running()
  if not cq then return end
  state.running = true
  cq:wrap(pump, driver, state)
end

local adapter = {}

function adapter.is_task(co)
  local cq, ours = running()
  return cq ~= nil and ours == true and co == co_running()
end

function adapter.suspend()
  local co = co_running()
  local cond = waits[co]
  if not cond then
    cond = condition.new()
    waits[co] = cond
  end
  cond:wait()
end

function adapter.resume(co)
  local cond = waits[co]
  if cond then cond:signal() end
end

function adapter.watch(driver)
  ensure_pump(driver, pump_state(driver))
end

function adapter.timer(driver, ms)
  local state = pump_state(driver)
  state.deadline = ms and monotime() + ms / 1000 or nil
  ensure_pump(driver, state)
end

M.adapter = adapter

--- M.use(): swh.use_loop(M.adapter).
function M.use()
  swh_loop.use(adapter)
end

return M
