--- swh.loop: swh inside any event loop (luv, cqueues, copas, your own).
--
-- swh.use_loop(adapter) makes every API call made in one of that loop's coroutines suspend
-- that coroutine only, while the loop runs its other work; the client's sockets and timers
-- are watched by the loop itself (libcurl's multi socket interface, in the core), so nothing
-- polls. Calls made elsewhere block as before, and swh.run / swh.map keep their own
-- scheduler. Adapters ship for luv (swh.loop.luv) and cqueues (swh.loop.cqueues). An
-- adapter is a table of five functions:
--
--   is_task(co)           -> whether an API call made in coroutine co may suspend it
--   suspend()             suspends the running task until resume is called for it
--   resume(co)            continues a suspended task (called from the loop, never a task)
--   watch(driver, fd, ev) ev "r", "w" or "rw": call driver:ready(fd, ev) when fd is ready
--                         for it (ev "e" on a poll error); nil: stop watching fd
--   timer(driver, ms)     call driver:timeout() once ms milliseconds have passed,
--                         replacing the previous timer; nil: no timer
--
-- There is one driver per client; driver:busy() says whether a task waits for one of its
-- calls (an adapter may let its loop end when none does). A loop that must be told of a
-- descriptor before it is closed (cqueues) may ignore the fds of watch and watch driver:fd()
-- instead, one descriptor readable whenever one of the client's is ready, then call
-- driver:ready_any().

local tasks = require "swh.tasks"

local error, next, pairs, setmetatable, type = error, next, pairs, setmetatable, type
local co_running = coroutine.running

local M = {}

local adapter = nil
local drivers = setmetatable({}, { __mode = "k" }) -- core client -> its driver

-- The core's SWH_WATCH_* bits and the adapter's strings.
local IN, OUT, ERR = 1, 2, 4
local EVENTS = { [IN] = "r", [OUT] = "w", [IN | OUT] = "rw" }

local Driver = { __name = "swh.loop.driver" }
Driver.__index = Driver

-- Passes the watches and the timer the core asked for since the last time to the adapter.
function Driver:_flush()
  local timer_ms, changes = self._core:loop_changes()
  for i = 1, #changes, 2 do
    local fd, what = changes[i], changes[i + 1]
    self.watched[fd] = EVENTS[what]
    adapter.watch(self, fd, EVENTS[what])
  end
  if timer_ms then adapter.timer(self, timer_ms >= 0 and timer_ms or nil) end
end

-- Resumes the tasks whose calls are done.
function Driver:_wake()
  local core = self._core
  while not core:is_closed() do
    local call = core:next_done()
    if not call then break end
    local co = self.waiting[call]
    if co then
      self.waiting[call] = nil
      adapter.resume(co)
    end
  end
end

--- driver:ready(fd, ev): the adapter says fd is ready for ev ("r", "w", "rw", "e").
function Driver:ready(fd, ev)
  if self._core:is_closed() then return end
  local what = (ev:find("r", 1, true) and IN or 0) | (ev:find("w", 1, true) and OUT or 0)
    | (ev:find("e", 1, true) and ERR or 0)
  self._core:socket_ready(fd, what)
  self:_flush()
  self:_wake()
end

--- driver:fd() -> one descriptor (an epoll set) readable when one of the client's is ready.
function Driver:fd()
  return self._core:loop_fd()
end

--- driver:ready_any(): the adapter says driver:fd() is readable.
function Driver:ready_any()
  if self._core:is_closed() then return end
  self._core:loop_ready()
  self:_flush()
  self:_wake()
end

--- driver:timeout(): the adapter says the time asked by timer has come.
function Driver:timeout()
  if self._core:is_closed() then return end
  self._core:timeout()
  self:_flush()
  self:_wake()
end

--- driver:busy() -> whether a task waits for one of this client's calls.
function Driver:busy()
  return next(self.waiting) ~= nil
end

-- The driver of core_client, made on first use; nil when the client cannot be driven by
-- the loop (it has requests in flight from a blocking call).
local function driver_of(core_client)
  local d = drivers[core_client]
  if d then return d end
  if not core_client:set_loop() then return nil end
  d = setmetatable({ _core = core_client, waiting = {}, watched = {} }, Driver)
  drivers[core_client] = d
  return d
end

-- tasks.await's hook: suspends the running task until call is done. Returns false when the
-- caller must block instead.
local function suspend_until_done(core_client, call)
  local d = driver_of(core_client)
  if not d then return false end
  local co = co_running()
  d.waiting[call] = co
  d:_flush()
  while not call:done() and not core_client:is_closed() do
    adapter.suspend()
  end
  d.waiting[call] = nil
  return true
end

-- tasks.client_closed's hook: a closed client's descriptors are no longer watched, and its
-- waiting tasks go on (their calls end as "client closed before the call finished").
local function client_closed(core_client)
  local d = drivers[core_client]
  if not d then return end
  drivers[core_client] = nil
  d:_flush()
  for fd in pairs(d.watched) do adapter.watch(d, fd, nil) end
  d.watched = {}
  adapter.timer(d, nil)
  local waiting = d.waiting
  d.waiting = {}
  for _, co in pairs(waiting) do adapter.resume(co) end
end

local REQUIRED = { "is_task", "suspend", "resume", "watch", "timer" }

--- swh.use_loop(adapter): API calls made in the adapter's tasks suspend them (see above);
-- swh.use_loop(nil) goes back to blocking. Raises on an adapter missing a function.
function M.use(new)
  if new ~= nil then
    if type(new) ~= "table" then
      error("bad argument #1 to 'use_loop' (table or nil expected, got " .. type(new) .. ")", 2)
    end
    for _, name in pairs(REQUIRED) do
      if type(new[name]) ~= "function" then
        error("bad argument #1 to 'use_loop' (adapter." .. name .. ": function expected, got "
          .. type(new[name]) .. ")", 2)
      end
    end
  end
  adapter = new
  tasks.loop = new and {
    is_task = new.is_task,
    suspend_until_done = suspend_until_done,
    client_closed = client_closed,
  } or nil
end

return M
