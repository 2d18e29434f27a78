--- The host's side of the script contract (embedded in the swh executable as "swh.host"):
-- the globals `swh` and `client`, and how the REPL shows values. The C host calls
-- setup(ctx) once, before any -e code or script runs.
--
-- ctx = { settings = { project_id=, region=, rate=, ... } (given by flags, numbers as numbers),
--         from = { project_id = "--project", ... } (the flag of each),
--         verbose=bool, quiet=bool,
--         sandbox = nil | { url=, project_id=, key_id=, key_secret=, kind= } }
--
-- Every setting is read and checked by the core's one table (src/core/swh_settings.c): the
-- flags before any Lua runs (host_options.c), the SINCH_*/SWH_* variables when `client` is
-- first made, in the same words, naming the flag or the variable.
local error, pairs, rawget, rawset, setmetatable, type =
  error, pairs, rawget, rawset, setmetatable, type
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

--- Sets the globals: `swh` now, `client` on first use (so a script that never touches
-- the API needs no credentials).
function host.setup(ctx)
  local swh = require "swh"
  swh.quiet = ctx.quiet == true
  rawset(_G, "swh", swh)
  setmetatable(_G, {
    __index = function(globals, name)
      if name ~= "client" then return nil end
      -- A missing credential is reported at the script's line; a bad value names its
      -- variable, which says more than any line of the script.
      local client, problem, why = host.make_client(ctx)
      if why == "failed" then problem = "cannot make `client`: " .. problem end
      if not client then error(problem, why == "invalid" and 0 or 2) end
      rawset(globals, "client", client)
      return client
    end,
  })
end

--- The text the REPL prints for the values of an expression.
function host.results(...)
  return require("swh.pretty").results(...)
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
