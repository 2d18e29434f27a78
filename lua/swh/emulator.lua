--- swh.emulator: a local Conversation API in this process, for a program's own tests.
--
--   local emulator = require "swh.emulator"
--   local emu <close> = assert(emulator.start{ apps = 3 })
--   local client = assert(swh.client(emu:client_options()))
--   ...
--   emu:stop() -- or let <close> (or the garbage collector) do it
--
-- It is libswh-emulator (swh_emulator.h) started on 127.0.0.1 on a free port: its threads
-- serve while Lua runs, so a blocking swh call from this same state is answered.

local core = require "swh.emulator.core"
local swh_core = require "swh.core"
local check = require "swh.check"

local pairs, pcall, setmetatable, tostring, type =
  pairs, pcall, setmetatable, tostring, type

local M = {}

-- The options start takes, as swh_emulator_config names them (seed is a table or JSON).
local known = {
  "apps", "basic_rate_limit", "callback_attempts", "callback_retry_ms", "error_form", "faults",
  "key_id", "key_secret", "latency_ms", "no_retry_after", "port", "project_id", "quiet",
  "rate_limit", "seed", "seed_file", "seed_random", "state_file", "token_ttl", "unknown_fields",
}
local is_known = {}
for _, k in pairs(known) do is_known[k] = true end

local Emulator = {}
Emulator.__index = Emulator

--- emulator.start([options]) -> emulator | nil, err
-- options: apps (generated apps when nothing else seeds it), seed (a snapshot table, or its
-- JSON text), seed_file (a snapshot file), state_file, project_id, key_id, key_secret,
-- latency_ms, rate_limit (requests per second; 0: the API's 800; < 0: none),
-- basic_rate_limit (with Basic auth, within it; 0: 200; < 0: none), no_retry_after (429s
-- without Retry-After), error_form ("nested", the default, or "flat"), token_ttl,
-- faults ("500=0.05,drop=0.02"…), seed_random, port (0: a free one), quiet (default true:
-- no request log on stderr), callback_retry_ms and callback_attempts (the callbacks'
-- retries: doc/CALLBACKS.md), unknown_fields ("drop", the default, "keep" or "refuse": what
-- a create or update does with fields the API does not define; a seed's are always kept:
-- doc/EMULATOR.md). A bad option raises; a seed that breaks the API's rules or a
-- port taken returns nil and an swh error (kind "validation" or "usage").
function M.start(options)
  options = options or {}
  if type(options) ~= "table" then
    check.argerror(1, "start", "table expected, got " .. type(options))
  end
  local config = { quiet = true }
  for k, v in pairs(options) do
    if not is_known[k] then
      check.argerror(1, "start", swh_core.unknown_option(k, known))
    end
    config[k] = v
  end
  config.seed = nil
  if type(options.seed) == "table" then
    config.seed_json = swh_core.json_encode(options.seed)
  elseif options.seed ~= nil then
    config.seed_json = options.seed
  end
  local ok, started, kind, message = pcall(core.start, config)
  if not ok then
    check.argerror(1, "start", tostring(started))
  end
  if not started then return nil, swh_core.new_error(kind, message) end
  return setmetatable({
    url = started:url(),
    auth_url = started:url() .. "/oauth2/token",
    project_id = started:project_id(),
    key_id = options.key_id or core.default_key_id,
    key_secret = options.key_secret or core.default_key_secret,
    _server = started,
  }, Emulator)
end

--- emulator:client_options([extra]) -> the options of swh.client for this emulator, with
-- the keys of extra added (e.g. { concurrency = 4 }).
function Emulator:client_options(extra)
  local options = {
    project_id = self.project_id, key_id = self.key_id, key_secret = self.key_secret,
    base_url = self.url, auth_url = self.auth_url,
  }
  for k, v in pairs(extra or {}) do options[k] = v end
  return options
end

--- emulator:snapshot() -> its current state as a snapshot table (what swh.load takes).
function Emulator:snapshot()
  return swh_core.json_decode(self._server:snapshot_json())
end

--- emulator:trigger{trigger=, app_id=, event=?, count=?, rate=?} -> sent | nil, err: sends
-- the event's callbacks to the app's webhooks subscribed to it (doc/CALLBACKS.md); sent is
-- {trigger, app_id, events, webhooks = {{id, target}…}}. The same as swh.emulator_trigger
-- under swh --sandbox.
function Emulator:trigger(request)
  if type(request) ~= "table" then
    check.argerror(1, "trigger", "table expected, got " .. type(request))
  end
  local answer, kind, message = self._server:trigger_json(swh_core.json_encode(request))
  if not answer then return nil, swh_core.new_error(kind, message) end
  return swh_core.json_decode(answer)
end

--- emulator:deliveries{wait=?, limit=?} -> the delivery log {pending, delivered, failed,
-- deliveries = {…}} (wait: seconds to wait first until none is pending).
function Emulator:deliveries(options)
  options = options or {}
  return swh_core.json_decode(self._server:deliveries_json(options.limit, options.wait))
end

--- emulator:stop(): stops serving (requests in progress are answered first). Safe twice.
function Emulator:stop()
  self._server:stop()
end

Emulator.__close = Emulator.stop

function Emulator:__tostring()
  return tostring(self._server)
end

return M
