--- spec/helper.lua: what the busted specs of swh share. Keep this API small and stable.
--
--   local helper = require "helper"
--
--   helper.build                  the build directory (SWH_BUILD, default build/release)
--   helper.root                   the repository root (busted runs from it)
--
--   local emu = helper.emulator{ apps = 2, args = { "--latency", "5" } }
--     Starts swh-emulator --port 0 -q [--apps N] [args…] on 127.0.0.1 and waits
--     (at most 10 s) for the URL it prints. Returns a table:
--       emu.url           "http://127.0.0.1:PORT"
--       emu.auth_url      emu.url .. "/oauth2/token"
--       emu.project_id, emu.key_id, emu.key_secret   the emulator's defaults (or opts.*)
--       emu.pid           the process id
--       emu.log           path of the file that holds the emulator's stdout and stderr
--       emu:stop()        kills it for sure (TERM, then KILL after 2 s) and waits; safe twice
--     opts.project_id / key_id / key_secret are passed as --project / --key-id / --key-secret.
--     The binary: $SWH_EMULATOR, else $SWH_BUILD/swh-emulator or
--     $SWH_BUILD/src/emulator/swh-emulator (helper.emulator_binary()).
--     Every emulator still running is killed when the Lua state closes.
--
--   helper.client_options(emu [, extra])   options for swh.client{} pointing at emu
--   helper.client(emu [, extra])           assert(swh.client(helper.client_options(...)))
--
--   local out, ok, code = helper.lua(code [, env])
--     Runs `lua5.4 -e code` in a child with this process's package paths and the given
--     environment variables (a table; false unsets one), stdout and stderr together.
--
--   helper.sleep(seconds)
local M = {}

local getenv = os.getenv

M.root = getenv("PWD") or "."
M.build = getenv("SWH_BUILD")
if M.build == nil or M.build == "" then
  M.build = "build/release"
end
if M.build:sub(1, 1) ~= "/" then
  M.build = M.root .. "/" .. M.build
end

local ok_system, system = pcall(require, "system")
function M.sleep(seconds)
  if ok_system and system.sleep then
    system.sleep(seconds)
  else
    os.execute("sleep " .. tostring(seconds))
  end
end

local function now()
  if ok_system and system.gettime then
    return system.gettime()
  end
  return os.time()
end

--- Quotes s for sh.
local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
M.shell_quote = shell_quote

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then
    return ""
  end
  local text = f:read("a")
  f:close()
  return text
end

-- Whether pid still runs: an exited child that is not yet reaped (a zombie) does not.
local function alive(pid)
  local stat = io.open("/proc/" .. pid .. "/stat", "r")
  if stat then
    local text = stat:read("a") or ""
    stat:close()
    return text:match("^%d+ %b() (%a)") ~= "Z"
  end
  return os.execute("kill -0 " .. pid .. " 2>/dev/null") == true
end

-- Ends pid: TERM, then KILL if it still runs after 2 s. Does not reap it.
local function terminate(pid)
  os.execute("kill -TERM " .. pid .. " 2>/dev/null")
  local deadline = now() + 2
  while alive(pid) and now() < deadline do
    M.sleep(0.01)
  end
  if alive(pid) then
    os.execute("kill -KILL " .. pid .. " 2>/dev/null")
  end
end

local Emulator = {}
Emulator.__index = Emulator

function Emulator:stop()
  if self.stopped then
    return
  end
  self.stopped = true
  terminate(self.pid)
  self.handle:close() -- reaps it
  os.remove(self.log)
end

-- SWH_EMULATOR if set, else the first of $SWH_BUILD/swh-emulator and
-- $SWH_BUILD/src/emulator/swh-emulator that exists.
function M.emulator_binary()
  local given = getenv("SWH_EMULATOR")
  if given and given ~= "" then
    return given
  end
  for _, path in ipairs({ M.build .. "/swh-emulator", M.build .. "/src/emulator/swh-emulator" }) do
    local f = io.open(path, "rb")
    if f then
      f:close()
      return path
    end
  end
  return M.build .. "/swh-emulator"
end

function M.emulator(opts)
  opts = opts or {}
  local binary = M.emulator_binary()
  local args = { binary, "--port", "0", "-q" }
  if opts.apps then
    args[#args + 1] = "--apps"
    args[#args + 1] = tostring(opts.apps)
  end
  local flags = { project_id = "--project", key_id = "--key-id", key_secret = "--key-secret" }
  for key, flag in pairs(flags) do
    if opts[key] then
      args[#args + 1] = flag
      args[#args + 1] = opts[key]
    end
  end
  for _, a in ipairs(opts.args or {}) do
    args[#args + 1] = a
  end
  local quoted = {}
  for i, a in ipairs(args) do
    quoted[i] = shell_quote(a)
  end
  local log = os.tmpname()
  -- sh prints its pid, then becomes the emulator: that pid is the emulator's. popen's own
  -- shell execs it too, so that no shell is left to report a killed emulator on stderr.
  local command = ("exec sh -c 'echo $$; log=$1; shift; exec \"$@\" >\"$log\" 2>&1' sh %s %s")
    :format(
    shell_quote(log), table.concat(quoted, " "))
  local handle = assert(io.popen(command, "r"))
  local pid = tonumber(handle:read("l"))
  assert(pid, "helper.emulator: could not start " .. binary)
  local emu = setmetatable({
    pid = pid,
    handle = handle,
    -- Made after the handle, so finalized before it: closing a popen handle waits for the
    -- process, so an emulator a failed spec left running must be killed first (when the
    -- Lua state closes, or when the emulator table is dropped).
    guard = setmetatable({}, { __gc = function()
      if alive(pid) then terminate(pid) end
      os.remove(log)
    end }),
    log = log,
    project_id = opts.project_id or "emulator-project",
    key_id = opts.key_id or "emulator-key",
    key_secret = opts.key_secret or "emulator-secret",
  }, Emulator)
  local deadline = now() + 10
  while true do
    local text = read_file(log)
    local url = text:match("(http://127%.0%.0%.1:%d+)")
    if url then
      emu.url = url
      emu.auth_url = url .. "/oauth2/token"
      return emu
    end
    if not alive(pid) or now() > deadline then
      emu:stop()
      error("helper.emulator: " .. binary .. " printed no URL: " .. text, 2)
    end
    M.sleep(0.01)
  end
end

function M.client_options(emu, extra)
  local opts = {
    project_id = emu.project_id,
    key_id = emu.key_id,
    key_secret = emu.key_secret,
    base_url = emu.url,
    auth_url = emu.auth_url,
  }
  for k, v in pairs(extra or {}) do
    opts[k] = v
  end
  return opts
end

function M.client(emu, extra)
  local swh = require "swh"
  return assert(swh.client(M.client_options(emu, extra)))
end

function M.lua(code, env)
  local parts = {}
  local vars = { LUA_PATH = package.path, LUA_CPATH = package.cpath }
  for k, v in pairs(env or {}) do
    vars[k] = v
  end
  for k, v in pairs(vars) do -- env takes its options (-u) before the assignments
    if v == false then
      table.insert(parts, 1, "-u " .. k)
    else
      parts[#parts + 1] = k .. "=" .. shell_quote(v)
    end
  end
  local command = ("env %s lua5.4 -e %s 2>&1"):format(table.concat(parts, " "), shell_quote(code))
  local f = assert(io.popen(command, "r"))
  local out = f:read("a")
  local ok, _, code_ = f:close()
  return out, ok == true, code_
end

return M
