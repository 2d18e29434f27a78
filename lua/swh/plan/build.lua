--- swh.plan.build: the steps that bring a project's webhooks from their live state to a
-- desired one (swh.plan, init.lua, wraps them in a plan object).
--
-- desired is one of
--   a snapshot {swh_snapshot = 1, project_id =, apps = {…}, webhooks = {…}}: the whole state
--     of the apps it lists;
--   a list of webhooks: the state of the apps their app_id name;
--   a function fn(webhook, app) called with a copy of each live webhook (every app): it edits
--     the copy (returning nil), returns a replacement, or returns false to delete it.
-- Live webhooks of other apps are never touched; in the apps in scope, a live webhook that
-- no desired one matches is deleted. A desired webhook matches the live one with its id,
-- else the live one with its app_id and target, else it is created (without its id: the
-- server makes ids).
local core = require "swh.core"
local check = require "swh.check"
local take_snapshot = require("swh.snapshot").snapshot
local values = require "swh.plan.values"
local plan_order = require "swh.plan.order"

local getmetatable, ipairs, pairs, pcall, setmetatable, tostring, type =
  getmetatable, ipairs, pairs, pcall, setmetatable, tostring, type
local concat = table.concat
local math_type = math.type
local copy, equal = values.copy, values.equal
local null = core.null

local M = {}

-- The project's rules come from their one definition, in the core (core.project_rules).
local RULES = core.project_rules

-- The fields an update can change, in update_mask order.
local FIELDS = RULES.updatable_fields
local UPDATABLE = {}
for _, f in ipairs(FIELDS) do UPDATABLE[f] = true end
M.FIELDS = FIELDS

-- Other spellings of trigger names (the Node SDK's SMART_CONVERSATIONS), which the core
-- sends as the API's.
local TRIGGER_ALIAS = RULES.trigger_aliases
local function trigger_name(t) return TRIGGER_ALIAS[t] or t end
M.trigger_name = trigger_name

local function invalid(message) return core.new_error("validation", message) end

-- Raised from inside the planning, at the line of the script that called swh.plan.
local misuse = check.raise

------------------------------------------------------------------------------------------
-- The live state

-- Every app and webhook (swh.snapshot), by app and by id: live | nil, err.
local function read_live(client)
  local snap, err = take_snapshot(client)
  if not snap then return nil, err end
  local live = { apps = snap.apps, app = {}, by_app = {}, by_id = {} }
  for _, app in ipairs(snap.apps) do
    live.app[app.id] = app
    live.by_app[app.id] = {}
  end
  for _, w in ipairs(snap.webhooks) do
    local list = live.by_app[w.app_id]
    if not list then
      return nil, core.new_error("protocol", ("webhook %s was listed with app_id %s, not "
        .. "an app of the project"):format(tostring(w.id), tostring(w.app_id)))
    end
    list[#list + 1] = w
    live.by_id[w.id] = w
  end
  return live
end

------------------------------------------------------------------------------------------
-- The desired state: a list of entries {webhook =, body =, where =, whole =, live =}

-- The body a create of w sends: no id (the server makes ids), and no secret = "" or
-- client_credentials = null, which in a create say "none" and which the core refuses to read
-- as a value. Shallow (to check w) or a deep copy (the plan's own, for a create).
local function body_of(w, deep)
  local body = {}
  for k, v in pairs(w) do body[k] = deep and copy(v) or v end
  body.id = nil
  if body.secret == "" then body.secret = nil end
  if body.client_credentials == null then body.client_credentials = nil end
  return setmetatable(body, getmetatable(w))
end

-- Where an entry came from, for messages (entry.where), made only when asked for: a plan
-- over 100,000 webhooks keeps no 100,000 strings for the errors it may never have.
local function where_mt(format, key)
  return { __index = function(e, k)
    if k == "where" then return format:format(e[key]) end
  end }
end
local FROM_SNAPSHOT = where_mt("desired.webhooks[%d]", "index")
local FROM_LIST = where_mt("desired[%d]", "index")
local FROM_FUNCTION = where_mt("the webhook desired for %s", "live_id")

-- An entry for w, checked as the core checks a create of it: entry | nil, err. The entry
-- reads w (the caller's table: the plan neither changes nor keeps it); origin is one of the
-- metatables above, key its index (or the live webhook's id).
local function entry_of(w, origin, key, whole)
  local e = setmetatable({ webhook = w, whole = whole }, origin)
  if origin == FROM_FUNCTION then e.live_id = key else e.index = key end
  if type(w) ~= "table" then
    return nil, invalid(("%s: expected a webhook (a table), got %s"):format(e.where, type(w)))
  end
  local ok, valid, err = pcall(core.validate, body_of(w, false))
  if not ok then misuse(("%s: %s"):format(e.where, tostring(valid))) end
  if not valid then return nil, invalid(("%s: %s"):format(e.where, err.message)) end
  return e
end

local function no_app(where, app_id, client)
  return invalid(("%s: no app %q in project %s"):format(where, tostring(app_id),
    tostring(client:project_id())))
end

-- The entries of a list of desired webhooks, app_error(entry) saying what is wrong with
-- each one's app (an error value) or nil: entries | nil, err.
local function entries_of(list, origin, whole, app_error)
  local entries = {}
  for i, w in ipairs(list) do
    local entry, err = entry_of(w, origin, i, whole)
    if not entry then return nil, err end
    err = app_error(entry)
    if err then return nil, err end
    entries[i] = entry
  end
  return entries
end

local function from_snapshot(snapshot, live, client)
  -- Absent (or misspelt: swh.load refuses a typo of the format's keys) is not "no webhooks":
  -- read so, it would plan to delete them all.
  if snapshot.webhooks == nil then
    return nil, invalid("desired.webhooks: missing (a snapshot without it would delete every "
      .. "webhook of its apps; write webhooks = {} to mean that)")
  end
  if snapshot.swh_snapshot ~= nil and snapshot.swh_snapshot ~= 1 then
    return nil, invalid("desired.swh_snapshot: expected 1 (the only snapshot format)")
  end
  if type(snapshot.apps) ~= "table" then
    return nil, invalid("desired.apps: expected the list of the snapshot's apps")
  end
  local scope = {}
  for i, app in ipairs(snapshot.apps) do
    local where = ("desired.apps[%d]"):format(i)
    if type(app) ~= "table" or type(app.id) ~= "string" then
      return nil, invalid(where .. ".id: expected a string")
    end
    if not live.app[app.id] then return nil, no_app(where, app.id, client) end
    scope[app.id] = true
  end
  local hooks = snapshot.webhooks
  if type(hooks) ~= "table" then
    return nil, invalid("desired.webhooks: expected a list of webhooks")
  end
  local entries, err = entries_of(hooks, FROM_SNAPSHOT, true, function(entry)
    if not scope[entry.webhook.app_id] then
      return invalid(("%s.app_id: app %q is not in desired.apps"):format(entry.where,
        entry.webhook.app_id))
    end
  end)
  if not entries then return nil, err end
  return entries, scope
end

local function from_list(list, live, client)
  local scope = {}
  local entries, err = entries_of(list, FROM_LIST, false, function(entry)
    local app_id = entry.webhook.app_id
    if not live.app[app_id] then return no_app(entry.where .. ".app_id", app_id, client) end
    scope[app_id] = true
  end)
  if not entries then return nil, err end
  return entries, scope
end

-- Calls fn on a copy of every live webhook; its entries come matched to their webhook.
local function from_function(fn, live, client)
  local entries, scope = {}, {}
  for _, app in ipairs(live.apps) do
    scope[app.id] = true
    for _, w in ipairs(live.by_app[app.id]) do
      local edited = copy(w)
      local ok, result = pcall(fn, edited, copy(app))
      if not ok then
        misuse(("desired function failed on webhook %s (app %s): %s"):format(w.id, app.id,
          tostring(result)))
      end
      if result == nil then result = edited end
      if result ~= false then
        if type(result) ~= "table" then
          misuse(("desired function returned a %s for webhook %s: expected nil (keep the "
            .. "edited copy), a webhook table, or false (delete it)"):format(type(result), w.id))
        end
        local entry, err = entry_of(result, FROM_FUNCTION, w.id, true)
        if not entry then return nil, err end
        if result.id ~= nil and result.id ~= w.id then
          return nil, invalid(("%s: id: %s is not its own id (ids are the server's)"):format(
            entry.where, tostring(result.id)))
        end
        if not live.app[entry.webhook.app_id] then
          return nil, no_app(entry.where .. ".app_id", entry.webhook.app_id, client)
        end
        entry.live = w
        entries[#entries + 1] = entry
      end
    end
  end
  return entries, scope
end

-- Matches entries to live webhooks: by id first (anywhere in the project: naming an id
-- asks for that webhook), then by app_id and target among those left. Returns the set of
-- matched live ids | nil, err.
local function match(entries, live)
  local matched = {}
  for _, e in ipairs(entries) do
    if e.live then matched[e.live.id] = e end
  end
  for _, e in ipairs(entries) do
    local id = e.webhook.id
    if not e.live and id ~= nil and live.by_id[id] then
      if matched[id] then
        return nil, invalid(("%s.id: %s is also %s's id"):format(e.where, id, matched[id].where))
      end
      e.live, matched[id] = live.by_id[id], e
    end
  end
  for _, e in ipairs(entries) do
    if not e.live then
      for _, w in ipairs(live.by_app[e.webhook.app_id] or {}) do
        if not matched[w.id] and w.target == e.webhook.target then
          e.live, matched[w.id] = w, e
          break
        end
      end
    end
  end
  return matched
end

-- The rules of the state the plan ends in (at most 5 webhooks an app, unique targets),
-- checked by the core's project model as if the entries were created in turn.
local function check_end_state(entries)
  local webhooks = {}
  for i, e in ipairs(entries) do webhooks[i] = e.webhook end
  local names = setmetatable({}, { __index = function(_, i)
    return entries[i] and entries[i].where -- made only for the one the core names
  end })
  local i, message = core.check_placements(webhooks, names)
  if i then return invalid(("%s: %s"):format(names[i], message)) end
  return nil
end

------------------------------------------------------------------------------------------
-- The difference between a desired webhook and its live one

local function absent(v) return v == nil or v == null end

local function same_triggers(a, b)
  local set, n = {}, 0
  for _, t in ipairs(a or {}) do
    if not set[trigger_name(t)] then n = n + 1 end
    set[trigger_name(t)] = true
  end
  local m = 0
  for _, t in ipairs(b or {}) do
    if not set[trigger_name(t)] then return false end
    m = m + 1
  end
  return n == m
end

local function same(field, want, have)
  if field == "secret" then
    return (absent(want) and "" or want) == (absent(have) and "" or have)
  elseif field == "client_credentials" then
    if absent(want) or absent(have) then return absent(want) and absent(have) end
    return equal(want, have)
  elseif field == "target_type" then
    return want == (have or RULES.defaults.target_type)
  elseif field == "triggers" then
    return same_triggers(want, have)
  end
  return equal(want, have)
end

-- What a desired field says. A whole webhook (a snapshot's, a function's) says what a create
-- of it would make: a field it leaves out has the API's default (no secret,
-- client_credentials or triggers; target_type HTTP). A listed one leaves the fields it does
-- not state as they are.
local function wanted(e, field)
  local v = e.webhook[field]
  if v == nil and e.whole then return copy(RULES.defaults[field]) end
  return v
end

-- The update that turns e.live into e.webhook: step | nil (no change), or nil, err. A step
-- holds what apply sends (id, changes, mask) and what a reader and the ordering need: the
-- live webhook's app_id and target, and in `was` its values of the changed fields (shared
-- with the live state read for this plan, which nothing else holds). No whole copies.
local function diff(e)
  local before = e.live
  local changes, mask, was = {}, {}, {}
  for _, field in ipairs(FIELDS) do
    local want = wanted(e, field)
    if want ~= nil and not same(field, want, before[field]) then
      changes[field] = copy(want)
      mask[#mask + 1] = field
      was[field] = before[field]
    end
  end
  for k, v in pairs(e.webhook) do
    if k ~= "id" and not UPDATABLE[k] and not equal(v, before[k]) then
      return nil, invalid(("%s.%s: differs from webhook %s's, and the API can update only "
        .. "%s"):format(e.where, tostring(k), before.id, concat(FIELDS, ", ")))
    end
  end
  if #mask == 0 then return nil end
  return { op = "update", id = before.id, app_id = before.app_id, target = before.target,
           was = was, changes = changes, mask = setmetatable(mask, core.array_mt) }
end

------------------------------------------------------------------------------------------
-- The plan

local function is_list(t)
  local n = #t
  for k in pairs(t) do
    if math_type(k) ~= "integer" or k < 1 or k > n then return false end
  end
  return true
end

--- Which form desired has: "function", "snapshot", "list", or nil (none of them).
function M.form(desired)
  if type(desired) == "function" then return "function" end
  if type(desired) ~= "table" then return nil end
  if desired.swh_snapshot ~= nil or desired.apps ~= nil or desired.webhooks ~= nil then
    return "snapshot"
  end
  return is_list(desired) and "list" or nil
end

local function desired_entries(desired, live, client)
  local form = M.form(desired)
  if form == "function" then return from_function(desired, live, client) end
  if form == "snapshot" then return from_snapshot(desired, live, client) end
  return from_list(desired, live, client)
end

local function build(client, desired)
  local live, err = read_live(client)
  if not live then return nil, err end
  local entries, scope = desired_entries(desired, live, client)
  if not entries then return nil, scope end
  local matched
  matched, err = match(entries, live)
  if not matched then return nil, err end
  err = check_end_state(entries)
  if err then return nil, err end

  -- app_names: the apps' display names by id, for the plan's text (apps are few)
  local plan = { project_id = client:project_id(), creates = {}, updates = {}, deletes = {},
                 unchanged = 0, app_names = {} }
  for _, app in ipairs(live.apps) do plan.app_names[app.id] = app.display_name end
  local changes, deletes = {}, {}
  for _, e in ipairs(entries) do
    if e.live then
      local update, problem = diff(e)
      if problem then return nil, problem end
      if update then
        plan.updates[#plan.updates + 1] = update
      else
        plan.unchanged = plan.unchanged + 1
      end
    else
      plan.creates[#plan.creates + 1] = body_of(e.webhook, true)
    end
    -- the desired webhook is not read again (a create has its own copy): the collector can
    -- take the edited copies of a function's plan while the update records are made, so
    -- the two are not all alive at once (100,000 webhooks: ~45 MB less at the peak)
    e.webhook = nil
  end
  for _, u in ipairs(plan.updates) do changes[#changes + 1] = u end
  for _, body in ipairs(plan.creates) do
    changes[#changes + 1] = { op = "create", webhook = body }
  end
  for _, app in ipairs(live.apps) do
    if scope[app.id] then
      for _, w in ipairs(live.by_app[app.id]) do
        if not matched[w.id] then
          -- the live webhook itself: the plan is the only holder of the state it read
          plan.deletes[#plan.deletes + 1] = w
          deletes[#deletes + 1] = { op = "delete", webhook = w }
        end
      end
    end
  end
  -- What is left to do needs of the live state only what the rules see of it, nor the
  -- entries: they go, with a full collection, before the ordering adds its own. Marked by
  -- the cycle under way, they would otherwise stay through it: at 100,000 webhooks the
  -- plan's peak (which is also plan:apply's) was 80 MB of them, the collection is 0.1 s.
  local state = plan_order.live_state(live.by_app)
  live, entries, matched = nil, nil, nil -- luacheck: ignore 311
  collectgarbage()
  local steps, why = plan_order.order(state, changes, deletes)
  if not steps then return nil, invalid(why) end
  plan.steps = steps
  return plan
end

--- Builds the plan: { project_id, creates, updates, deletes, unchanged, steps, app_names }
-- | nil, err.
-- A desired webhook the core would refuse, or a desired state the API cannot hold, is an
-- error of kind validation naming it; a failed read returns its error. A desired value that
-- cannot be JSON, or a desired function that raises or returns something else than nil,
-- false or a table, raises at the line of the script that called swh.plan.
M.build = build

return M
