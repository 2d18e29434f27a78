--- swh: automation of the webhooks of the Sinch Conversation API, from Lua.
--
--   local swh = require "swh"
--   local client = assert(swh.client{ project_id = "…", key_id = "…", key_secret = "…" })
--   local hooks = assert(client.webhooks:list(app_id))
--
-- This module builds a new table on top of the C module swh.core (it never changes the
-- core's table). Misuse (a wrong argument, an unknown option, a closed client) raises an
-- error naming the argument; a failure of the world returns nil, err where err is a table
-- {kind, http_status, status, message, details, retryable, request} that prints as one line.
--
-- Every API call is asynchronous underneath: it starts a request in the core, then either
-- yields to the scheduler (inside a task of swh.run or swh.map, see tasks.lua) or steps the
-- client until the answer is in. Scripts read the same either way.

local core = require "swh.core"
local tasks = require "swh.tasks"
local check = require "swh.check"

local getmetatable, ipairs, pcall, rawset, select, setmetatable, tostring, type =
  getmetatable, ipairs, pcall, rawset, select, setmetatable, tostring, type
local concat = table.concat

local M = {
  _VERSION = "swh " .. core._VERSION,
  array_mt = core.array_mt,   -- every array read from the API has it; it marks empty ones
  object_mt = core.object_mt, -- every object read from the API has it; it marks empty ones
  error_mt = core.error_mt,   -- the metatable of error values
  null = core.null,           -- JSON null: the same value as cjson.null
}

--- JSON that keeps empty arrays and objects through a round trip (lua-cjson 2.1.0 cannot).
M.json = {
  encode = core.json_encode, -- (value [, {indent = n, sort_keys = bool}]) -> string
  decode = core.json_decode, -- (text) -> value | nil, message
  null = core.null,
  array_mt = core.array_mt,
  object_mt = core.object_mt,
}

--- swh.validate(webhook [, partial]) -> true | nil, err
-- The checks of API.md the client makes before sending (target, triggers with "did you
-- mean", client_credentials...), without sending: a whole webhook, or with partial an
-- update's changes. A value that cannot be JSON raises, naming its path.
function M.validate(webhook, partial)
  check.type(webhook, "table", 1, "validate")
  local ok, valid, err = pcall(core.validate, webhook, partial)
  if not ok then check.argerror(1, "validate", tostring(valid)) end
  return valid, err
end

--- Whether v is an error value made by swh.
function M.is_error(v)
  return type(v) == "table" and getmetatable(v) == core.error_mt
end

-- An error value like the core's, for failures found in Lua (the environment).
local new_error = core.new_error

------------------------------------------------------------------------------------------
-- Tasks: swh.run, swh.spawn, swh.wait, swh.map (lua/swh/tasks.lua). Every API call waits
-- through tasks.await, which yields inside a task and blocks elsewhere.

M.run = tasks.run
M.spawn = tasks.spawn
M.wait = tasks.wait
M.map = tasks.map
M.each = tasks.each
-- For another scheduler: swh._install_scheduler(is_task) -> sentinel (see tasks.lua).
M._install_scheduler = tasks.install_scheduler
-- Inside an event loop: swh.use_loop(adapter) (lua/swh/loop.lua; swh.loop.luv, .cqueues).
M.use_loop = require("swh.loop").use
local await = tasks.await

------------------------------------------------------------------------------------------
-- Migration, backup, rehearsal: swh.snapshot, swh.save, swh.load (lua/swh/snapshot.lua);
-- swh.plan, plan:apply, swh.resume (lua/swh/plan/). Loaded on first use, so that a
-- script that only calls the API does not pay for them.

function M.snapshot(...) return require("swh.snapshot").snapshot(...) end
function M.save(...) return require("swh.snapshot").save(...) end
function M.load(...) return require("swh.snapshot").load(...) end
function M.plan(...) return require("swh.plan").plan(...) end
function M.resume(...) return require("swh.plan").resume(...) end
-- swh.undo(journal, client [, {force}]) -> plan, left | nil, err (lua/swh/undo.lua)
function M.undo(...) return require("swh.undo").undo(...) end
function M.listen(...) return require("swh.listen").listen(...) end
function M.listen_line(...) return require("swh.listen").line(...) end
function M.listen_run(...) return require("swh.listen").run(...) end
function M.verify(...) return require("swh.verify").verify(...) end
function M.verify_table(...) return require("swh.verify").format(...) end

--- swh.quiet = true turns off swh.map's progress bars.
setmetatable(M, {
  __index = function(_, k) if k == "quiet" then return tasks.quiet end end,
  __newindex = function(t, k, v)
    if k == "quiet" then tasks.quiet = v and true or false else rawset(t, k, v) end
  end,
})

------------------------------------------------------------------------------------------
-- Argument checks (swh.check raises them at the script's line)

-- An id argument (a string, not empty): returns it.
local function checked_id(v, n, fname, what)
  check.type(v, "string", n, fname, what)
  if v == "" then check.argerror(n, fname, what .. ": must not be empty") end
  return v
end

-- The core userdata of a webhooks or apps object, raising on a bad self or a closed client.
local function core_of(self, mt, fname, usage)
  check.self(self, mt, fname, usage)
  local core_client = self._client._core
  check.open(core_client)
  return core_client
end

-- Starts op and waits for it (resent: see RESENT below). A body that cannot be encoded
-- raises, naming argument n.
local function request(core_client, fname, n, op, id, body, resent)
  local ok, call, err = pcall(core_client.start, core_client, op, id, body, resent)
  if not ok then check.argerror(n, fname, tostring(call)) end
  if not call then
    return nil, err
  end
  return await(core_client, call)
end

------------------------------------------------------------------------------------------
-- Warnings about what a create or update sends (doc/EMULATOR.md): once per client and
-- field name (or host), through swh.warn, which a script may replace.

--- swh.warn(message): writes "swh: warning: <message>" on stderr.
function M.warn(message)
  io.stdout:flush() -- after what was printed before it (stdout to a file is buffered)
  io.stderr:write("swh: warning: ", message, "\n")
end

local SINCH_HOSTS = "Sinch API host (it serves the API and receives no callbacks)"

local function warn_once(client, key, message)
  client._warned[key] = true
  M.warn(message)
end

-- Warns about the fields of body the API does not define (a typo like signing_secret is
-- sent as it is, and the API drops it or keeps it, never uses it), and about a target on a
-- Sinch API host.
local function warn_about(client, body)
  local ok, unknown = pcall(core.unknown_fields, body)
  if not ok then return end -- the request raises, naming the argument
  for _, path in ipairs(unknown) do
    if not client._warned[path] then
      local has = path:find("^client_credentials%.")
        and "client_credentials has client_id, client_secret, endpoint, scope, response_type, "
          .. "token_request_type"
        or "a webhook has app_id, target, target_type, triggers, secret, client_credentials"
      warn_once(client, path, ("webhook.%s: not a field of the Conversation API (%s); the API "
        .. "drops or keeps it, never uses it"):format(path, has))
    end
  end
  local target = body.target
  local host = type(target) == "string" and target:match("^%a[%w+.-]*://([^/?#]*)")
  host = host and host:gsub("^.*@", ""):gsub(":%d*$", ""):gsub("%.$", ""):lower()
  if host and (host == "auth.sinch.com" or host:find("%.conversation%.api%.sinch%.com$")
               or host == "conversation.api.sinch.com")
      and not client._warned[host] then
    warn_once(client, host, ("webhook.target: %s is a %s"):format(host, SINCH_HOSTS))
  end
end

------------------------------------------------------------------------------------------
-- client.webhooks

local Webhooks = { __name = "swh.webhooks" }
Webhooks.__index = Webhooks

-- The options of create and delete. resent = true: an earlier run may have sent this same
-- request already, its answer lost (a journal says so). The core then goes on as after an
-- ambiguous failure of its own: a create first looks for its target among the app's
-- webhooks and returns the webhook it finds; a delete counts a 404 as done.
local RESENT = { resent = check.BOOLEAN }

--- client.webhooks:list(app_id) -> { webhook, … } | nil, err
function Webhooks:list(app_id)
  local c = core_of(self, Webhooks, "list", "client.webhooks:list(app_id)")
  return request(c, "list", 1, "webhooks.list", checked_id(app_id, 1, "list", "app_id"))
end

--- client.webhooks:create(webhook [, {resent = true}]) -> webhook (with id) | nil, err
function Webhooks:create(webhook, opts)
  local c = core_of(self, Webhooks, "create", "client.webhooks:create(webhook)")
  check.type(webhook, "table", 1, "create", "webhook")
  local resent = check.options(opts, 2, "create", RESENT).resent
  warn_about(self._client, webhook)
  return request(c, "create", 1, "webhook.create", nil, webhook, resent)
end

--- client.webhooks:get(id) -> webhook | nil, err
function Webhooks:get(id)
  local c = core_of(self, Webhooks, "get", "client.webhooks:get(id)")
  return request(c, "get", 1, "webhook.get", checked_id(id, 1, "get", "id"))
end

--- client.webhooks:update(id, changes) -> webhook | nil, err
-- The update_mask is the keys of changes; secret = "" or client_credentials = swh.null clear.
function Webhooks:update(id, changes)
  local c = core_of(self, Webhooks, "update", "client.webhooks:update(id, changes)")
  checked_id(id, 1, "update", "id")
  check.type(changes, "table", 2, "update", "changes")
  warn_about(self._client, changes)
  return request(c, "update", 2, "webhook.update", id, changes)
end

--- client.webhooks:delete(id [, {resent = true}]) -> true | nil, err
function Webhooks:delete(id, opts)
  local c = core_of(self, Webhooks, "delete", "client.webhooks:delete(id)")
  checked_id(id, 1, "delete", "id")
  local resent = check.options(opts, 2, "delete", RESENT).resent
  local ok, err = request(c, "delete", 1, "webhook.delete", id, nil, resent)
  if ok == nil then
    return nil, err
  end
  return true
end

------------------------------------------------------------------------------------------
-- client.apps

local Apps = { __name = "swh.apps" }
Apps.__index = Apps

--- client.apps:list() -> { app, … } | nil, err
function Apps:list()
  local c = core_of(self, Apps, "list", "client.apps:list()")
  return request(c, "list", 1, "apps.list")
end

------------------------------------------------------------------------------------------
-- The client

local Client = { __name = "swh.client" }
Client.__index = Client

function Client.__tostring(self)
  return tostring(self._core)
end

function Client.__close(self)
  self._core:close()
  tasks.client_closed(self._core)
end

--- client:close(): frees the connections; safe twice. A closed client raises on use.
function Client:close()
  check.self(self, Client, "close", "client:close()")
  self._core:close()
  tasks.client_closed(self._core) -- an event loop stops watching its descriptors
end

--- client:is_closed() -> boolean
function Client:is_closed()
  return self._core:is_closed()
end

-- The core client of a client, raising (at the script's line) on a bad self or a closed
-- client.
local function open_core(self, fname)
  check.self(self, Client, fname, "client:" .. fname .. "()")
  check.open(self._core)
  return self._core
end

--- client:project_id() -> the id of the project the client works on.
function Client:project_id()
  return open_core(self, "project_id"):project_id()
end

--- client:api_host() -> the host of the API the client talks to, in lower case
-- ("eu.conversation.api.sinch.com", "127.0.0.1"): what a journal records.
function Client:api_host()
  return open_core(self, "api_host"):api_host()
end

--- client:settings() -> the client's effective settings, defaults applied, secrets left
-- out: {project_id, region, base_url, auth_url, auth, timeout, retries, retry_time,
-- concurrency, rate, allow_insecure_http} (region is nil when base_url was given; URL
-- passwords masked). swh.snapshot, swh.plan and plan:apply run at its concurrency unless
-- told otherwise.
function Client:settings()
  return open_core(self, "settings"):settings()
end

--- swh.environment: the variables swh.client() reads, in the order of the core's table.
M.environment = {}
for _, setting in ipairs(core.settings) do
  if setting.env then M.environment[#M.environment + 1] = setting.env end
end

local function wrap(core_client)
  local client = setmetatable({ _core = core_client, _warned = {} }, Client)
  client.webhooks = setmetatable({ _client = client }, Webhooks)
  client.apps = setmetatable({ _client = client }, Apps)
  return client
end

--- swh._client(options, from, environment) -> client | nil, err
-- swh.client for the swh host: `from` maps options to the flags they came from (so that
-- the core's messages name "--base-url"), and with `environment` the settings options do
-- not give are read from their variables (the core's settings table: SINCH_REGION, ...).
-- Credentials missing from both give an err of kind usage whose `missing` lists their
-- variables. A bad option raises, as in swh.client.
function M._client(opts, from, environment)
  local ok, core_client, err = pcall(core.client, opts, from, environment)
  if not ok then
    check.raise(check.renamed(tostring(core_client), "client"))
  end
  if not core_client then
    return nil, err
  end
  return wrap(core_client)
end

--- swh.client([options]) -> client | nil, err
-- Without options, reads the environment: SINCH_PROJECT_ID, SINCH_KEY_ID, SINCH_KEY_SECRET,
-- SINCH_REGION, SINCH_CONVERSATION_URL, SINCH_AUTH_URL, SINCH_AUTH, SWH_TIMEOUT,
-- SWH_RETRIES, SWH_RETRY_TIME, SWH_CONCURRENCY, SWH_RATE ("" counts as unset). Options:
-- project_id, key_id, key_secret, region, base_url, auth_url, auth ("oauth2" | "basic"),
-- timeout (seconds per attempt), retries (attempts in all), retry_time (seconds of
-- retrying after a first failure), concurrency (requests in flight), rate (requests per
-- second), allow_insecure_http (boolean), trace (boolean: HTTP trace on stderr, secrets
-- redacted). The names, variables and allowed values are the core's one table
-- (src/core/swh_settings.c), which checks every value in the same words wherever it came
-- from.
function M.client(...)
  local opts = ...
  local environment = select("#", ...) == 0 or opts == nil
  if environment then
    opts = {}
  elseif type(opts) ~= "table" then
    check.argerror(1, "client", "options table expected, got " .. type(opts))
  end
  local client, err = M._client(opts, nil, environment)
  if not client and err.missing then
    local missing = err.missing
    return nil, new_error("usage", ("missing %s in the environment: set %s, or pass "
      .. "project_id, key_id and key_secret to swh.client{…}"):format(
        concat(missing, ", "), #missing > 1 and "them" or "it"))
  end
  return client, err
end

return M
