--- swh.tasks: straight-line code with many requests in flight.
--
-- Each unit of work is a task, a coroutine the scheduler of swh.run drives. An API call made
-- in a task starts its request and yields a private sentinel; the scheduler steps every
-- client with requests pending (curl multi underneath, in the core) and resumes a task when
-- its answer is in. The same call outside a task blocks instead, so scripts read the same
-- either way. Coroutines are resumed only from the scheduler loop, never from the core or
-- from curl. One failing task never stops the others; swh.map returns per-item results.
--
-- The swh module re-exports run, spawn, wait and map; this file also holds await, which
-- every API call of swh goes through, and the hook for another scheduler.

local core = require "swh.core"
local check = require "swh.check"
local INTERRUPTION = core.interruption

local error, getmetatable, ipairs, next, pairs, pcall, setmetatable, tostring, type =
  error, getmetatable, ipairs, next, pairs, pcall, setmetatable, tostring, type
local co_close, co_create, co_resume, co_running, co_status, co_yield =
  coroutine.close, coroutine.create, coroutine.resume, coroutine.running, coroutine.status,
  coroutine.yield
local floor, min = math.floor, math.min
local pack, unpack = table.pack, table.unpack
local stderr = io.stderr

local M = {
  quiet = false, -- true: swh.map draws no progress bar (the host's -q sets it)
}

-- Yielded by an API call in a task: (sentinel, call, core_client).
local sentinel = setmetatable({}, { __tostring = function() return "swh.yield" end })
-- Yielded by swh.wait in a task: the scheduler resumes it when the awaited task ends.
local wait_token = setmetatable({}, { __tostring = function() return "swh.wait" end })

local external_is_task = nil -- a scheduler other than swh.run's (see install_scheduler)
local current = nil          -- the scheduler of the swh.run in progress, if any

--- Installs another scheduler's test for its tasks (nil removes it); returns the sentinel
-- that API calls in those tasks yield, followed by the call and its client's core. That
-- scheduler steps the client and resumes the task, with no values, once call:done().
function M.install_scheduler(is_task)
  if is_task ~= nil and type(is_task) ~= "function" then
    check.argerror(1, "_install_scheduler", "function or nil expected, got " .. type(is_task))
  end
  external_is_task = is_task
  return sentinel
end

-- The event loop swh.use_loop installed (lua/swh/loop.lua): {is_task, suspend_until_done,
-- client_closed}, or nil.
M.loop = nil

--- Tells the event loop, if any, that core_client was closed.
function M.client_closed(core_client)
  if M.loop then M.loop.client_closed(core_client) end
end

--- Waits for a started call, by yielding to the scheduler in a task, by suspending a task of
-- the event loop, or by stepping the client, and finishes it: value | nil, err.
function M.await(core_client, call)
  local co, main = co_running()
  if not main and ((current and current.by_co[co]) or (external_is_task and external_is_task(co)))
  then
    co_yield(sentinel, call, core_client)
  elseif not main and M.loop and M.loop.is_task(co) then
    M.loop.suspend_until_done(core_client, call)
  end
  while not call:done() do
    core_client:step(100)
  end
  return call:finish()
end

------------------------------------------------------------------------------------------
-- Tasks

local Task = { __name = "swh.task" }
Task.__index = Task

function Task.__tostring(t)
  return "swh.task (" .. (not t.done and "running" or t.ok and "done" or "failed") .. ")"
end

local function push_ready(s, task)
  s.tail = s.tail + 1
  s.ready[s.tail] = task
end

local function new_task(s, fn, ...)
  local args = pack(...)
  local task = setmetatable({ done = false, waiters = {} }, Task)
  task.co = co_create(function() return fn(unpack(args, 1, args.n)) end)
  s.by_co[task.co] = task
  s.live = s.live + 1
  s.all[#s.all + 1] = task
  push_ready(s, task)
  return task
end

-- Ends a task with its outcome and wakes what waits for it.
local function settle(s, task, ok, ...)
  task.done = true
  task.ok = ok
  if ok then
    task.results = pack(...)
  else
    task.err = ...
  end
  s.by_co[task.co] = nil
  s.live = s.live - 1
  for _, waiter in ipairs(task.waiters) do
    push_ready(s, waiter)
  end
  task.waiters = {}
end

-- Says once per run and client that a map asks for more requests at once than the client
-- sends: the rest wait inside the client, and the map goes no faster for them. Called when
-- a worker of the map starts a call on core_client.
local function check_client_limit(run, core_client)
  local seen = run.limits[core_client]
  if seen == nil then
    seen = core_client:settings().concurrency
    run.limits[core_client] = seen
    if seen < run.concurrency then
      stderr:write(("swh: %s asks for %d requests at once, but its client sends at most %d "
        .. "(the others wait their turn): swh.client{concurrency = %d} raises it\n"):format(
          run.fname, run.concurrency, seen, run.concurrency))
    end
  end
end

local function after_resume(s, task, ok, first, ...)
  if co_status(task.co) == "dead" then
    -- Ctrl-C in the swh host (core.interruption): the whole run stops, not just this task.
    if not ok and first == INTERRUPTION then error(first, 0) end
    if ok then
      settle(s, task, true, first, ...)
    else
      settle(s, task, false, first)
    end
  elseif first == sentinel then
    local call, core_client = ...
    if task.map_run and task.map_run.asked then check_client_limit(task.map_run, core_client) end
    s.waiting[call] = { task = task, client = core_client }
    s.clients[core_client] = (s.clients[core_client] or 0) + 1
  elseif first ~= wait_token then
    co_close(task.co)
    settle(s, task, false, "a task yielded to swh's scheduler: call coroutine.yield only "
      .. "inside coroutines of your own")
  end
end

-- Steps the clients with requests in flight and readies the tasks whose answers are in.
local function poll(s)
  local count = 0
  for _ in pairs(s.clients) do count = count + 1 end
  local timeout = count == 1 and 100 or 10
  for core_client in pairs(s.clients) do
    if core_client:is_closed() then
      -- Closing a client ends its calls at once; they are not handed out by next_done.
      for call, w in pairs(s.waiting) do
        if w.client == core_client then
          s.waiting[call] = nil
          push_ready(s, w.task)
        end
      end
      s.clients[core_client] = nil
    else
      core_client:step(timeout)
      local call = core_client:next_done()
      while call do
        local w = s.waiting[call]
        if w then
          s.waiting[call] = nil
          s.clients[core_client] = s.clients[core_client] - 1
          push_ready(s, w.task)
        end
        call = core_client:next_done()
      end
      if s.clients[core_client] == 0 then
        s.clients[core_client] = nil
      end
    end
  end
end

local function drive(s)
  while s.live > 0 do
    while s.head <= s.tail do
      local task = s.ready[s.head]
      s.ready[s.head] = nil
      s.head = s.head + 1
      after_resume(s, task, co_resume(task.co))
    end
    if s.live > 0 then
      if next(s.clients) == nil then
        error("swh.run: every task left waits for another one (a deadlock)", 0)
      end
      poll(s)
    end
  end
end

local function in_task()
  local co, main = co_running()
  return current ~= nil and not main and current.by_co[co] ~= nil
end

--- swh.run(fn, ...) -> what fn returns. Runs fn as a task and drives it, and every task it
-- spawns, to the end. An error of fn is raised again; so is the error of a spawned task
-- that nobody waited for. Inside a task it just calls fn.
function M.run(fn, ...)
  check.type(fn, "function", 1, "run")
  if in_task() then
    return fn(...)
  end
  if current then
    check.raise("swh.run: already running (called from a coroutine that is not one of its tasks)")
  end
  local s = { ready = {}, head = 1, tail = 0, by_co = {}, waiting = {}, clients = {},
    live = 0, all = {} }
  current = s
  local root = new_task(s, fn, ...)
  local ok, err = pcall(drive, s)
  current = nil
  for _, task in ipairs(s.all) do
    if not task.done then
      co_close(task.co)
    end
  end
  if not ok then
    error(err, 0)
  end
  if not root.ok then
    error(root.err, 0)
  end
  for _, task in ipairs(s.all) do
    if task ~= root and not task.ok and not task.waited then
      error("swh.run: a task failed and nobody waited for it: " .. tostring(task.err), 0)
    end
  end
  return unpack(root.results, 1, root.results.n)
end

--- swh.spawn(fn, ...) -> task. Starts fn(...) as a new task of the running swh.run.
function M.spawn(fn, ...)
  check.type(fn, "function", 1, "spawn")
  if not current then
    check.raise("swh.spawn: only inside swh.run (or swh.map): swh.run(function() … end)")
  end
  return new_task(current, fn, ...)
end

--- swh.wait(task) -> true, results… | false, err. Waits in a task until task ends.
function M.wait(task)
  if getmetatable(task) ~= Task then
    check.argerror(1, "wait", "task expected, got " .. type(task))
  end
  if not in_task() then
    check.raise("swh.wait: only inside a task of swh.run")
  end
  local me = current.by_co[co_running()]
  if task == me then
    check.raise("swh.wait: a task cannot wait for itself")
  end
  if not task.done then
    task.waiters[#task.waiters + 1] = me
    co_yield(wait_token)
  end
  task.waited = true
  if task.ok then
    return true, unpack(task.results, 1, task.results.n)
  end
  return false, task.err
end

------------------------------------------------------------------------------------------
-- swh.map and swh.each

--- The options of swh.map (swh.snapshot takes them too, and passes them on); swh.each's
-- add on_result.
M.MAP_OPTIONS = { progress = check.LABEL, concurrency = check.POSITIVE_INTEGER }
local EACH_OPTIONS = { progress = check.LABEL, concurrency = check.POSITIVE_INTEGER,
                       on_result = check.FUNCTION }

-- On a terminal the bar redraws in place; elsewhere (a log, a pipe) only its last state is
-- written, so the log gets one line instead of a hundred frames.
local function progress_bar(label, total)
  local width, shown, failed = 30, -1, 0
  local redraw = core.stderr_is_terminal()
  local function draw(done)
    local filled = floor(done * width / total)
    local text = ("%s%s [%s%s] %d/%d"):format(redraw and "\r" or "", label, ("="):rep(filled),
      (" "):rep(width - filled), done, total)
    if failed > 0 then
      text = text .. (" (%d failed)"):format(failed)
    end
    -- what the script printed before goes first: to a file or a pipe, stdout is buffered
    -- and stderr is not, and the two would interleave mid-line
    io.stdout:flush()
    stderr:write(text, done == total and "\n" or "")
  end
  return function(done, ok)
    if not ok then failed = failed + 1 end
    local step = floor(done * 100 / total)
    if done == total or (redraw and step ~= shown) then
      shown = step
      draw(done)
    end
  end
end

-- Runs fn(items[i], i) for every item, at most concurrency at once, each worker a task
-- taking the next item as it frees (so one slow item never holds up the others), and calls
-- deliver(i, ok, value_or_err) as each ends. Keeps nothing of its own per item.
local function run_all(fname, items, fn, opts, deliver)
  local concurrency = opts.concurrency or M.DEFAULT_CONCURRENCY
  local n = #items
  if n == 0 then return end
  local report = opts.progress and not M.quiet and progress_bar(opts.progress, n)
  local started, finished = 0, 0
  -- only a concurrency asked for is compared with the client's: the default asks nothing
  local run = { fname = fname, concurrency = concurrency, limits = {},
                asked = opts.concurrency ~= nil }

  local function settle_item(i, ok, value, err)
    if not ok and value == INTERRUPTION then error(value, 0) end -- not fn's failure: a stop
    if ok and value == nil and err ~= nil then ok, value = false, err end
    finished = finished + 1
    if report then report(finished, ok) end
    deliver(i, ok, value)
  end

  local function worker()
    while started < n and not run.stopped do
      started = started + 1
      local i = started
      -- a raise in deliver (on_result's) is not an item's failure: it stops the run
      local ok, err = pcall(settle_item, i, pcall(fn, items[i], i))
      if not ok then
        run.stopped = true
        error(err, 0)
      end
    end
  end

  M.run(function()
    local workers = {}
    for w = 1, min(concurrency, n) do
      workers[w] = M.spawn(worker)
      workers[w].map_run = run
    end
    for _, w in ipairs(workers) do
      local ok, err = M.wait(w)
      if not ok then error(err, 0) end
    end
  end)
end

--- The concurrency of swh.map and swh.each when opts.concurrency is not given: a client's
-- default, so that a map over a client left at its defaults keeps it busy.
M.DEFAULT_CONCURRENCY = core.client_defaults.concurrency

--- swh.map(items, fn [, opts]) -> { {ok = true, value = v} | {ok = false, err = e}, … }
-- Calls fn(item, i) for every item, up to opts.concurrency (default: a client's default,
-- 64) at once, each in its own task. A result is failed when fn returns nil, err or raises.
-- In input order. opts.progress: a label, to draw a progress bar on stderr (unless
-- swh.quiet). A map asking (opts.concurrency) for more at once than the client fn calls
-- allows says so on stderr, once per client.
function M.map(items, fn, opts)
  check.type(items, "table", 1, "map")
  check.type(fn, "function", 2, "map")
  opts = check.options(opts, 3, "map", M.MAP_OPTIONS)
  local results = {}
  run_all("swh.map", items, fn, opts, function(i, ok, value)
    if ok then
      results[i] = { ok = true, value = value }
    else
      results[i] = { ok = false, err = value }
    end
  end)
  return results
end

--- swh.each(items, fn [, opts]) -> succeeded, failed (counts)
-- swh.map that keeps no results, for runs too large to hold them: opts.on_result(i, ok,
-- value_or_err) is called once for each item as it ends (in the order they end), and what
-- it does not keep is garbage at once. Options and failures as swh.map's. An error raised
-- by on_result stops the run (no new item starts) and is raised again by swh.each.
function M.each(items, fn, opts)
  check.type(items, "table", 1, "each")
  check.type(fn, "function", 2, "each")
  opts = check.options(opts, 3, "each", EACH_OPTIONS)
  local on_result = opts.on_result
  local succeeded, failed = 0, 0
  run_all("swh.each", items, fn, opts, function(i, ok, value)
    if ok then succeeded = succeeded + 1 else failed = failed + 1 end
    if on_result then on_result(i, ok, value) end
  end)
  return succeeded, failed
end

return M
