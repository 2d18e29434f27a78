--- swh.listen: a local receiver of callbacks, like `stripe listen` (doc/CALLBACKS.md). It
-- answers each callback at once (on the core's threads), checking its signature with the
-- core's verifier when it has the secret, and hands the callbacks over one by one.
--
--   local receiver = assert(swh.listen { secret = "…" })     -- on 127.0.0.1, a free port
--   print(receiver:url())                                    -- the target to give a webhook
--   local cb = receiver:next(5)                              -- a callback, or nil after 5 s
--   print(swh.listen_line(cb))                               -- one line to show
--   receiver:close()
--
-- Options: port (0: a free one), secret, or webhook = id with client (the secret read from
-- that webhook), max_age (seconds of clock skew allowed, 300), forward (a URL each callback
-- is sent on to, answering with its status), status (the answer otherwise, 200).
-- A callback (see src/binding/lua_listen.c): {method, path, body, status,
-- signature = "valid"|"invalid"|"unsigned"|"unchecked", reason?, forward_error?, headers}.
-- With a secret, an invalid or unsigned callback is answered 401 with the reason.
--
-- swh.listen_run(options) prints every callback as it comes (options.json: JSON lines),
-- until options.count callbacks or options.timeout seconds, and returns how many came.

local core = require "swh.core"
local check = require "swh.check"

local concat, ipairs, pairs, sort, tostring, type = table.concat, ipairs, pairs, table.sort,
  tostring, type

local M = {}

local ENVELOPE = { app_id = true, project_id = true, accepted_time = true, event_time = true,
                   message_metadata = true, correlation_id = true }

local OPTIONS = { "port", "secret", "webhook", "client", "max_age", "forward", "status" }

local function fail(message)
  return nil, core.new_error("usage", message)
end

--- The receiver for options (see above), or nil, err.
function M.listen(options)
  options = options or {}
  if type(options) ~= "table" then
    check.argerror(1, "listen", "table expected, got " .. type(options))
  end
  local given = {}
  for key, value in pairs(options) do
    local known = false
    for _, name in ipairs(OPTIONS) do known = known or key == name end
    if not known then
      check.argerror(1, "listen", core.unknown_option(tostring(key), OPTIONS))
    end
    given[key] = value
  end
  if given.webhook then
    if given.secret then return fail("listen: give secret or webhook, not both") end
    if type(given.client) ~= "table" then
      return fail("listen: webhook = \"" .. tostring(given.webhook)
        .. "\" needs client = a client to read its secret with")
    end
    local webhook, err = given.client.webhooks:get(given.webhook)
    if not webhook then return nil, err end
    if not webhook.secret or webhook.secret == "" then
      return fail("listen: webhook " .. tostring(given.webhook)
        .. " has no secret: its callbacks are unsigned")
    end
    given.secret = webhook.secret
  end
  given.webhook, given.client = nil, nil
  return core.listen(given)
end

--- The callback's body decoded, and the name of its event member
-- ("message_delivery_report"...), or nil when the body is not a JSON object.
local function event_of(cb)
  local body = core.json_decode(cb.body)
  if type(body) ~= "table" then return nil end
  local members = {}
  for key in pairs(body) do
    if not ENVELOPE[key] then members[#members + 1] = key end
  end
  sort(members)
  return body, members[1]
end

--- One line for a callback: "200 valid message_delivery_report app 01… /path".
function M.line(cb)
  local body, member = event_of(cb)
  local parts = { tostring(cb.status), cb.signature, member or "(not a JSON event)" }
  if body and type(body.app_id) == "string" then parts[#parts + 1] = "app " .. body.app_id end
  parts[#parts + 1] = cb.path
  if cb.reason then parts[#parts + 1] = "(" .. cb.reason .. ")" end
  if cb.forward_error then parts[#parts + 1] = "(forward: " .. cb.forward_error .. ")" end
  if cb.dropped then parts[#parts + 1] = ("(%d dropped before)"):format(cb.dropped) end
  return concat(parts, " ")
end

--- A callback as one JSON value (for JSON lines): the callback, its body decoded when it is
-- JSON, and its event member's name.
function M.record(cb)
  local body, member = event_of(cb)
  return { path = cb.path, status = cb.status, signature = cb.signature, reason = cb.reason,
           forward_error = cb.forward_error, dropped = cb.dropped, event = member,
           body = body or cb.body }
end

--- Prints each callback until options.count came or options.timeout seconds passed (both
-- optional; without them, forever). options.output (default print) gets each line.
function M.run(options)
  options = options or {}
  local count, timeout, json = options.count, options.timeout, options.json
  local output = options.output or print
  local listen_options = {}
  for key, value in pairs(options) do
    if key ~= "count" and key ~= "timeout" and key ~= "json" and key ~= "output"
        and key ~= "on_ready" then
      listen_options[key] = value
    end
  end
  local receiver, err = M.listen(listen_options)
  if not receiver then return nil, err end
  if options.on_ready then options.on_ready(receiver:url()) end
  local seen = 0
  local deadline = timeout and (os.time() + timeout)
  while not count or seen < count do
    local wait = 1
    if deadline then
      wait = deadline - os.time()
      if wait <= 0 then break end
      if wait > 1 then wait = 1 end
    end
    local cb = receiver:next(wait)
    if cb then
      seen = seen + 1
      output(json and core.json_encode(M.record(cb)) or M.line(cb))
    end
  end
  receiver:close()
  return seen
end

return M
