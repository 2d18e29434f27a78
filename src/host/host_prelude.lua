--- The host's side of the script contract (embedded in the swh executable as "swh.host"):
-- the globals `swh` and `client`, and how the REPL shows values. The C host calls
-- setup(ctx) once, before any -e code or script runs.
--
-- ctx = { settings = { project_id=, region=, rate=, ... } (given by flags, numbers as numbers),
--         from = { project_id = "--project", ... } (the flag of each),
--         verbose=bool, quiet=bool,
--         sandbox = nil | { url=, project_id=, key_id=, key_secret=, kind=,
--                           trigger=, deliveries= } }
--
-- Every setting is read and checked by the core's one table (src/core/swh_settings.c): the
-- flags before any Lua runs (host_options.c), the SINCH_*/SWH_* variables when `client` is
-- first made, in the same words, naming the flag or the variable.
local error, getmetatable, ipairs, next, pairs, pcall, rawget, rawset, select, setmetatable,
      tostring, type =
  error, getmetatable, ipairs, next, pairs, pcall, rawget, rawset, select, setmetatable,
  tostring, type
local concat = table.concat

local host = {}

-- A hint when the script was given --sandbox as an argument: swh's options go before the
-- script name, and everything after it is the script's.
local function sandbox_misplaced()
  local args = rawget(_G, "arg")
  for i = 1, type(args) == "table" and #args or 0 do
    local a = args[i]
    if a == "--sandbox" or (type(a) == "string" and a:find("^%-%-sandbox=")) then
      return (" (the %s after the script name went to the script as an argument: options "
        .. "go before the script, as in swh %s script.lua)"):format(a, a)
    end
  end
  return ""
end

-- The default of one of the core's settings (core.settings, its one table).
local function setting_default(name)
  for _, setting in ipairs(require("swh.core").settings) do
    if setting.name == name then return setting.default end
  end
end

-- Why a client whose base URL is off Sinch's hosts while its token URL is left at its
-- default is refused, or nil: the key meant for an emulator or a staging server would go to
-- Sinch's production token endpoint. Basic auth sends no token request. from: the flags.
local function token_url_left(client, from)
  local s = client:settings() -- URL passwords masked
  if not s.token_requests or s.auth_url ~= setting_default("auth_url") then return nil end
  local name = s.base_url:match("^%a[%w+.-]*://([^/?#]*)")
  name = name and name:gsub("^.*@", ""):gsub(":%d*$", ""):lower()
  if not name or name == "sinch.com" or name:sub(-10) == ".sinch.com" then return nil end
  return ("%s points at %s, not a Sinch host, but the token URL is left at its default "
    .. "(%s), where the key would be sent: give the token URL too, e.g. "
    .. "--auth-url=%s/oauth2/token (or SINCH_AUTH_URL), or use --auth=basic")
    :format(from and from.base_url or "SINCH_CONVERSATION_URL", name, s.auth_url,
            (s.base_url:gsub("/+$", "")))
end

-- The options the flags gave, with the trace and, in the sandbox, its project and keys.
local function client_options(ctx)
  local options = {}
  for k, v in pairs(ctx.settings or {}) do options[k] = v end
  options.trace = ctx.verbose or nil
  local sb = ctx.sandbox
  if sb then
    options.project_id, options.key_id, options.key_secret = sb.project_id, sb.key_id,
      sb.key_secret
    options.base_url, options.auth_url = sb.url, sb.url .. "/oauth2/token"
  end
  return options
end

--- The client `client` is: client | nil, a message, and why: "missing" (no credentials),
-- "invalid" (a flag's or a variable's value, which the message names) or "failed".
function host.make_client(ctx)
  local swh = require "swh"
  local client, err = swh._client(client_options(ctx), ctx.from, not ctx.sandbox)
  -- checked once the core has found the URLs valid, so that a bad one is named as such
  local problem = client and token_url_left(client, ctx.from)
  if problem then
    client:close()
    return nil, problem, "invalid"
  end
  if client then return client end
  if err.missing then
    local missing = err.missing
    return nil, "no credentials for `client`: " .. concat(missing, ", ")
      .. (#missing == 1 and " is" or " are") .. " not set. Set SINCH_PROJECT_ID (or pass "
      .. "--project), SINCH_KEY_ID and SINCH_KEY_SECRET, or run swh with --sandbox to "
      .. "use a local emulator" .. sandbox_misplaced(), "missing"
  end
  if err.kind == "usage" then return nil, err.message, "invalid" end
  return nil, tostring(err), "failed"
end

--- print, as the standard one, but a table without a __tostring of its own (a webhook, an
-- app, a list of them, any table) shows as the REPL shows it: readably, secrets masked,
-- rather than as an address.
function host.print(...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do
    local v = select(i, ...)
    local mt = getmetatable(v)
    if type(v) == "table" and not (type(mt) == "table" and rawget(mt, "__tostring")) then
      parts[i] = require("swh.pretty").format(v)
    else
      parts[i] = tostring(v)
    end
  end
  io.stdout:write(concat(parts, "\t", 1, n), "\n")
end

--- Sets the globals: `swh` now, `client` on first use (so a script that never touches
-- the API needs no credentials).
function host.setup(ctx)
  local swh = require "swh"
  swh.quiet = ctx.quiet == true
  rawset(_G, "swh", swh)
  if ctx.sandbox then -- the sandbox's callbacks (doc/CALLBACKS.md; host_trigger.c)
    swh.emulator_trigger, swh.emulator_deliveries = ctx.sandbox.trigger, ctx.sandbox.deliveries
  end
  rawset(_G, "print", host.print)
  rawset(_G, "help", host.help)
  setmetatable(_G, {
    __index = function(globals, name)
      if name ~= "client" then return nil end
      -- A missing credential is reported at the script's line; a bad value names its
      -- variable, which says more than any line of the script.
      local client, problem, why = host.make_client(ctx)
      if why == "failed" then problem = "cannot make `client`: " .. problem end
      if why == "missing" then
        -- at the script's line, with no traceback: the message says all there is to do
        local info = debug.getinfo(2, "Sl")
        local where = info and info.currentline > 0
          and ("%s:%d: "):format(info.short_src, info.currentline) or ""
        error(setmetatable({ message = where .. problem, traceback = false },
                           { __tostring = function(e) return e.message end }), 0)
      end
      if not client then error(problem, why == "invalid" and 0 or 2) end
      rawset(globals, "client", client)
      return client
    end,
  })
end

--- Runs the command arg[0] names with arg[1..] (swh COMMAND [args]): its exit status, or
-- nil when arg[0] is no command (then it is a script). A word with "/" in it or ending in
-- ".lua" is always a script: ./backup runs a file named backup.
function host.command(ctx)
  local args = rawget(_G, "arg")
  local name = args[0]
  if name:find("/", 1, true) or name:find("%.lua$") then return nil end
  local commands = require "swh.commands"
  if not commands.find(name) then return nil end
  local argv = {}
  for i = 1, #args do argv[i] = args[i] end
  local env = { terminal = ctx.terminal == true, quiet = ctx.quiet == true }
  -- `client`, made once; no credentials (or a bad variable) end the command with the
  -- message alone, no traceback.
  function env.client()
    local client = rawget(_G, "client")
    if client then return client end
    local problem, why
    client, problem, why = host.make_client(ctx)
    if not client then
      require("swh.commands.args").fail(why == "failed" and "cannot make `client`: "
        .. problem or problem, 1)
    end
    rawset(_G, "client", client)
    return client
  end
  -- what a refused key's message adds: the variables it came from (asked once the key was
  -- refused, so the client is made and knows its auth)
  if not ctx.sandbox then
    setmetatable(env, { __index = function(_, key)
      if key ~= "key_hint" then return nil end
      local hint = "the key comes from SINCH_KEY_ID and SINCH_KEY_SECRET: check both, and "
        .. "that the key belongs to the project"
      local client = rawget(_G, "client")
      local s = client and client:settings()
      if s and not s.token_requests then -- Basic: the key on every request
        hint = hint .. ("; with %s=%s the key must be allowed Basic authentication (OAuth2, "
          .. "the default, may work)"):format(ctx.from and ctx.from.auth or "SINCH_AUTH", s.auth)
      end
      return hint
    end })
  end
  return commands.run(name, argv, env)
end

------------------------------------------------------------------------------------------
-- The REPL's helpers: help() and Tab completion

-- One screen each: what help(x) prints for the values people ask about, found by name.
local HELP = {
  [""] = [[
Lua with two globals: swh (the module) and client (the project's API, made on first use).
  client.webhooks:list(app_id)  :get(id)  :create(w)  :update(id, changes)  :delete(id)
  client.apps:list()            every app of the project
  swh.snapshot(client)          every app and webhook; swh.save(snap, path), swh.load(path)
  swh.plan(client, desired)     what would change; print(plan), plan:apply{journal = path}
  swh.resume(journal, client)   finish a stopped apply; swh.undo(journal, client) revert one
  swh.map(list, fn)             run fn over a list, many requests at once
_ is the last result. Tab completes names, fields and methods (client.web<Tab>).
help(client.webhooks), help(swh.plan), help(swh) say more. The commands (swh help) do the
common jobs without a script.]],
  webhooks = [[
client.webhooks: the webhooks of the project (each answer: value | nil, err)
  :list(app_id)        -> { webhook, … }   the webhooks of one app (5 at most)
  :get(id)             -> webhook
  :create(webhook)     -> webhook with its new id  (app_id and target required)
  :update(id, changes) -> webhook  (only the fields in changes; secret = "" clears it)
  :delete(id)          -> true
A webhook: { id, app_id, target, target_type = "HTTP"|"DISMISS", triggers = {…}, secret,
client_credentials = {client_id, client_secret, endpoint} }.]],
  apps = [[
client.apps: the apps of the project
  :list() -> { app, … }  (each with id, display_name and its settings)]],
  client = [[
client: the project's API (swh.client), made from SINCH_* or --sandbox on first use
  client.webhooks, client.apps, client:project_id(), client:settings(), client:close()
help(client.webhooks) lists the webhook calls.]],
  swh = [[
swh: the module
  swh.client{…}  swh.snapshot  swh.save  swh.load  swh.plan  swh.resume  swh.undo
  swh.map  swh.each  swh.run  swh.spawn  swh.wait  swh.validate  swh.json  swh.null
help(swh.plan) (or any of them) says how to call it.]],
  plan = [[
swh.plan(client, desired) -> plan | nil, err
  desired: a snapshot (the whole state of its apps), a list of webhooks (the state of the
  apps they name), or function(webhook, app) editing a copy (return false: delete).
  print(plan) shows the steps, secrets masked; plan:apply{journal = "run.journal"} carries
  them out; swh.resume(journal, client) finishes an interrupted run, swh.undo reverts it.]],
  snapshot = "swh.snapshot(client [, {progress =, concurrency =}]) -> snapshot | nil, err\n"
    .. "  { swh_snapshot = 1, project_id, apps = {…}, webhooks = {…} }; swh.save(snap, path)",
  save = "swh.save(snapshot, path) -> true | nil, err   (atomically, mode 0600)",
  load = "swh.load(path) -> snapshot | nil, err   (checked as the emulator checks a seed)",
  resume = "swh.resume(journal_path, client) -> summary | nil, err",
  undo = "swh.undo(journal_path, client [, {force = true}]) -> plan, left | nil, err\n"
    .. "  the plan that reverts a run; left lists the webhooks changed since, left alone",
  map = "swh.map(list, fn [, {concurrency =, progress =}]) -> { {ok, value, err}, … }\n"
    .. "  fn(item) runs for each item, its API calls many at once, results in input order",
  validate = "swh.validate(webhook [, partial]) -> true | nil, err   (no request sent)",
}

--- help([value]): one screen on the REPL, the module or a value (client.webhooks, swh.plan).
function host.help(value)
  local swh = require "swh"
  local key = ""
  if value ~= nil then
    key = nil
    local client = rawget(_G, "client")
    if value == swh then key = "swh"
    elseif client and value == client then key = "client"
    elseif client and value == client.webhooks then key = "webhooks"
    elseif client and value == client.apps then key = "apps"
    else
      for name, f in pairs(swh) do
        if f == value and HELP[name] then key = name end
      end
      local mt = getmetatable(value)
      if not key and type(mt) == "table" then
        key = ({ ["swh.webhooks"] = "webhooks", ["swh.apps"] = "apps",
                 ["swh.client"] = "client", ["swh.plan"] = "plan" })[rawget(mt, "__name")]
      end
    end
  end
  print(key and HELP[key] or ("no help on this %s; help() lists what there is"):format(
    type(value)))
end

-- The names a value offers: its keys, and those of its __index tables (methods).
local function names_of(value, methods_only, out, depth)
  if depth > 4 then return end
  if type(value) == "table" then
    for k, v in next, value do
      if type(k) == "string" and k:match("^[%a_][%w_]*$")
         and (not methods_only or type(v) == "function") then
        out[k] = type(v) == "function"
      end
    end
  end
  local mt = getmetatable(value)
  if type(mt) == "table" and type(rawget(mt, "__index")) == "table" then
    names_of(rawget(mt, "__index"), methods_only, out, depth + 1)
  end
end

--- The completions of text (the word before the cursor: a.b.c or a.b:c), sorted. Looking a
-- name up may make `client` (its first use), as typing it would.
function host.complete(text)
  local path, sep, partial = text:match("^(.-)([.:]?)([%w_]*)$")
  if not path then return {} end
  local value = _G
  if sep ~= "" then
    for name in path:gmatch("[^.:]+") do
      local ok, v = pcall(function() return value[name] end)
      if not ok or (type(v) ~= "table" and type(v) ~= "userdata") then return {} end
      value = v
    end
  elseif path ~= "" then
    return {}
  end
  local found = {}
  names_of(value, sep == ":", found, 0)
  if sep == "" then
    for _, k in ipairs { "and", "break", "do", "else", "elseif", "end", "false", "for",
                         "function", "goto", "if", "in", "local", "nil", "not", "or",
                         "repeat", "return", "then", "true", "until", "while" } do
      found[k] = false
    end
    found.client = false -- a global made on first use: offered before it exists
  end
  local out = {}
  for k, is_function in pairs(found) do
    if k:sub(1, #partial) == partial and not k:match("^_[%u%l]") then
      out[#out + 1] = path .. sep .. k .. ((sep == ":" and is_function) and "(" or "")
    end
  end
  table.sort(out)
  return out
end

--- The text the REPL prints for the values of an expression.
-- A long value's place in the REPL: a snapshot as its counts, a list of more than
-- LONG_LIST rows as its first SHOWN ones, each with the way to see it all (print(_)).
local LONG_LIST, SHOWN = 40, 20

local function shortened(v)
  if type(v) ~= "table" or getmetatable(v) and rawget(getmetatable(v), "__tostring") then
    return nil
  end
  if v.swh_snapshot ~= nil and type(v.apps) == "table" and type(v.webhooks) == "table" then
    return setmetatable({}, { __tostring = function()
      return ("snapshot of project %s: %d apps, %d webhooks (_.apps, _.webhooks; print(_) "
        .. "shows it all)"):format(tostring(v.project_id), #v.apps, #v.webhooks)
    end })
  end
  local n = #v
  if n <= LONG_LIST or next(v, n) ~= nil and v[n + 1] ~= nil then return nil end
  local head = setmetatable({}, getmetatable(v))
  for i = 1, SHOWN do head[i] = v[i] end
  -- "20 webhooks" heads the rows of a list of webhooks: it says how many there are
  local text = require("swh.pretty").format(head):gsub("^" .. SHOWN .. " ", n .. " ", 1)
  return setmetatable({}, { __tostring = function()
    return ("%s\n… the first %d of %d shown: print(_) shows them all"):format(text, SHOWN, n)
  end })
end

function host.results(...)
  local values = table.pack(...)
  for i = 1, values.n do values[i] = shortened(values[i]) or values[i] end
  return require("swh.pretty").results(table.unpack(values, 1, values.n))
end

--- One line saying where `client` points, for the REPL's banner.
function host.describe(ctx)
  if ctx.sandbox then
    local what = ctx.sandbox.kind == "demo" and "the demo project"
      or ctx.sandbox.kind == "empty" and "an empty project"
      or "a project loaded from " .. ctx.sandbox.kind
    return "sandbox: `client` talks to an in-process emulator at " .. ctx.sandbox.url
      .. " (" .. what .. " " .. ctx.sandbox.project_id .. ")"
  end
  local client, problem, why = host.make_client(ctx)
  if why == "missing" then
    return "`client` needs SINCH_PROJECT_ID, SINCH_KEY_ID and SINCH_KEY_SECRET "
      .. "(or run swh --sandbox)"
  elseif not client then
    return "`client` cannot be made: " .. problem
  end
  local settings = client:settings() -- URL passwords already masked
  client:close() -- made only to know it can be; the global is made on first use
  local where = settings.region and "region " .. settings.region or settings.base_url
  return "`client` talks to project " .. settings.project_id .. " (" .. where .. ")"
end

return host
