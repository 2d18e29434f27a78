--- swh.loop.luv: swh inside a luv (libuv) loop.
--
--   local uv = require "luv"
--   local swh_luv = require "swh.loop.luv"
--   swh_luv.use()                      -- swh.use_loop with this adapter
--   swh_luv.spawn(function()           -- a task: its API calls suspend it only
--     local hooks = assert(client.webhooks:list(app_id))
--   end)
--   uv.run()
--
-- Sockets are uv_poll handles and the client's timer a uv_timer, all unreferenced: while a
-- task waits for an answer a referenced handle keeps uv.run() going, and when none waits
-- the loop may end even if idle connections are still open. Closing a client closes its
-- handles; as for any luv handle, the loop finishes closing them when it next runs, so run
-- it once more (uv.run("nowait")) after closing clients outside it, before the program ends.

local uv = require "luv"
local swh_loop = require "swh.loop"

local error, setmetatable, tostring, type = error, setmetatable, tostring, type
local co_create, co_resume, co_status, co_yield =
  coroutine.create, coroutine.resume, coroutine.status, coroutine.yield

local M = {}

local tasks = setmetatable({}, { __mode = "k" }) -- the coroutines spawn made
local polls = setmetatable({}, { __mode = "k" })  -- driver -> { [fd] = uv_poll }
local timers = setmetatable({}, { __mode = "k" }) -- driver -> uv_timer
local suspended = 0
local keepalive = nil -- a referenced timer that runs while a task is suspended

--- M.on_error(err, co): called with the error that ended a task; by default writes it to
-- stderr with the task's traceback. Replace it to handle them otherwise.
function M.on_error(err, co)
  io.stderr:write("swh.loop.luv: a task failed: ", debug.traceback(co, tostring(err)), "\n")
end

local function resume(co, ...)
  local ok, err = co_resume(co, ...)
  if not ok then M.on_error(err, co) end
end

--- M.spawn(fn, ...) -> coroutine: runs fn(...) as a task of the loop, now, until its first
-- API call (or its end).
function M.spawn(fn, ...)
  if type(fn) ~= "function" then
    error("bad argument #1 to 'spawn' (function expected, got " .. type(fn) .. ")", 2)
  end
  local co = co_create(fn)
  tasks[co] = true
  resume(co, ...)
  return co
end

local adapter = {}

function adapter.is_task(co)
  return tasks[co] == true
end

-- Handles are closed as soon as they are not needed: luv closes the ones left open when the
-- Lua state closes, which calls into a state half gone.
function adapter.suspend()
  suspended = suspended + 1
  if suspended == 1 then
    keepalive = uv.new_timer()
    keepalive:start(3600 * 1000, 3600 * 1000, function() end)
  end
  co_yield()
end

function adapter.resume(co)
  suspended = suspended - 1
  if suspended == 0 then
    keepalive:close()
    keepalive = nil
  end
  if co_status(co) == "suspended" then resume(co) end
end

function adapter.watch(driver, fd, ev)
  local by_fd = polls[driver]
  if not by_fd then
    by_fd = {}
    polls[driver] = by_fd
  end
  local poll = by_fd[fd]
  if not ev then
    if poll then
      by_fd[fd] = nil
      poll:stop()
      poll:close()
    end
    return
  end
  if not poll then
    poll = assert(uv.new_socket_poll(fd))
    poll:unref()
    by_fd[fd] = poll
  end
  poll:start(ev, function(err, events)
    driver:ready(fd, err and "e" or events or ev)
  end)
end

function adapter.timer(driver, ms)
  local timer = timers[driver]
  if not ms then
    if timer then
      timers[driver] = nil
      timer:close()
    end
    return
  end
  if not timer then
    timer = uv.new_timer()
    timer:unref()
    timers[driver] = timer
  end
  timer:start(ms, 0, function() driver:timeout() end)
end

M.adapter = adapter

--- M.use(): swh.use_loop(M.adapter).
function M.use()
  swh_loop.use(adapter)
end

return M
