--- The host's side of the script contract (embedded in the swh executable as "swh.host"):
-- the globals `swh` and `client`, and how the REPL shows values. The C host calls
-- setup(ctx) once, before any -e code or script runs.
--
-- ctx = { project=, region=, base_url=, auth=, auth_url=, verbose=bool, quiet=bool,
--         sandbox = nil | { url=, project_id=, key_id=, key_secret=, kind=,
--                           trigger=, deliveries= } }
local error, rawget, rawset, setmetatable, tostring, type =
  error, rawget, rawset, setmetatable, tostring, type
local concat = table.concat

local host = {}

local REGIONS = { us = true, eu = true, br = true }
local AUTHS = { oauth2 = true, basic = true }

-- What is wrong with the region or auth read from a SINCH_* variable (named by from[option]),
-- or nil. Flags need no check here: host_options.c refuses a bad one, in the same words,
-- before any Lua runs (exit status 2). URLs are the core's to check (swh_url_check): see
-- make_client.
local function bad_value(options, from)
  if from.region and not REGIONS[options.region] then
    return ('%s: "%s" is not a region (us, eu, br)'):format(from.region, options.region)
  end
  if from.auth and not AUTHS[options.auth] then
    return ('%s: expected "oauth2" or "basic", got "%s"'):format(from.auth, options.auth)
  end
  return require("swh")._bad_environment(options, from)
end

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

--- The options for swh.client: the sandbox's, or flags over the SINCH_* environment (read
-- through swh._read_environment, the module's list of variables), and which variable each
-- option came from. Returns nil, a message and "missing" when there are no credentials;
-- nil, a message naming the variable and "invalid" when a variable holds a bad value.
local function client_options(ctx)
  local trace = ctx.verbose or nil
  if ctx.sandbox then
    local sb = ctx.sandbox
    return {
      project_id = sb.project_id, key_id = sb.key_id, key_secret = sb.key_secret,
      base_url = sb.url, auth_url = sb.url .. "/oauth2/token",
      auth = ctx.auth, trace = trace,
    }, {}
  end
  local options, missing, from = require("swh")._read_environment {
    project_id = ctx.project, region = ctx.region, base_url = ctx.base_url, auth = ctx.auth,
    auth_url = ctx.auth_url,
  }
  options.trace = trace
  if #missing > 0 then
    return nil, "no credentials for `client`: " .. concat(missing, ", ")
      .. (#missing == 1 and " is" or " are") .. " not set. Set SINCH_PROJECT_ID (or pass "
      .. "--project), SINCH_KEY_ID and SINCH_KEY_SECRET, or run swh with --sandbox to "
      .. "use a local emulator" .. sandbox_misplaced(), "missing"
  end
  local problem = bad_value(options, from)
  if problem then return nil, problem, "invalid" end
  return options, from
end

--- The client `client` is: client, options | nil, a message, and why: "missing" (no
-- credentials), "invalid" (a variable's value, which the message names: swh.client's
-- "config.base_url: …" reads "SINCH_CONVERSATION_URL: …") or "failed".
function host.make_client(ctx)
  local options, from, why = client_options(ctx)
  if not options then return nil, from, why end
  local client, err = require("swh").client(options)
  if client then return client, options end
  local option, rest = tostring(err.message):match("^config%.([%w_]+): (.*)$")
  if err.kind == "usage" and option and from[option] then
    return nil, from[option] .. ": " .. rest, "invalid"
  end
  return nil, tostring(err), "failed"
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
  local client, options_or_problem, why = host.make_client(ctx)
  if why == "missing" then
    return "`client` needs SINCH_PROJECT_ID, SINCH_KEY_ID and SINCH_KEY_SECRET "
      .. "(or run swh --sandbox)"
  elseif not client then
    return "`client` cannot be made: " .. options_or_problem
  end
  client:close() -- made only to know it can be; the global is made on first use
  local options = options_or_problem
  -- a base URL may carry a password (http://user:password@host): masked, as the REPL prints
  local where = options.base_url and require("swh.pretty").mask_urls(options.base_url)
    or "region " .. (options.region or "us")
  return "`client` talks to project " .. options.project_id .. " (" .. where .. ")"
end

return host
