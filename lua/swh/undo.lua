--- swh.undo(path, client [, {force = bool}]) -> plan, left | nil, err: the plan that reverts
-- the run whose journal is at path (finished, stopped or broken), from what the journal
-- recorded of the webhooks before it: a webhook it made is deleted, one it updated gets
-- its old values back (the journal's `was`, secrets included), one it deleted is made
-- again (with a new id: the API makes ids). Steps that failed or were never sent are left
-- as they are.
--
-- A webhook changed since the run (by someone else, or a later run) is left alone and
-- listed in `left` ({id =, app_id =, target =, why =}, in step order) unless force is set.
--
-- The result is an ordinary swh.plan: print it, carry it out with plan:apply{journal=…}
-- (itself journalled, resumable and undoable). Its desired state is a snapshot of the apps
-- the run touched, their live webhooks with the changes reverted.
local core = require "swh.core"
local check = require "swh.check"
local journal = require "swh.plan.journal"
local values = require "swh.plan.values"

local ipairs, setmetatable, tostring, type =
  ipairs, setmetatable, tostring, type
local sort = table.sort

local M = {}

local RULES = core.project_rules
local FIELDS = RULES.updatable_fields
local UNDO_OPTIONS = { force = check.BOOLEAN }
local null = core.null

-- A field's value for comparing: an absent value as the API's default, triggers as a set.
local function canonical(field, v)
  if v == nil or v == null then v = RULES.defaults[field] end
  if v == null then return "null" end
  if field == "triggers" and type(v) == "table" then
    local names = {}
    for i, t in ipairs(v) do names[i] = tostring(t) end
    sort(names)
    return core.json_encode(setmetatable(names, core.array_mt))
  end
  return core.json_encode(v, { sort_keys = true })
end

local function same(field, a, b) return canonical(field, a) == canonical(field, b) end

-- Whether live has, in every updatable field that body states, body's value.
local function matches(live, body)
  for _, f in ipairs(FIELDS) do
    if body[f] ~= nil and not same(f, live[f], body[f]) then return false end
  end
  return true
end

local function key(app_id, target) return tostring(app_id) .. "\0" .. tostring(target) end

--- See the top of the file.
function M.undo(path, client, opts)
  if type(path) ~= "string" or path == "" then
    check.argerror(1, "undo", "journal path expected, got "
      .. (path == "" and "an empty string" or type(path)))
  end
  check.client(client, 2, "undo")
  local force = check.options(opts, 3, "undo", UNDO_OPTIONS).force == true
  local data, err = journal.read(path)
  if not data then return nil, err end
  if data.header.project_id ~= client:project_id() then
    return nil, journal.failure(("%s: the journal is of project %s, the client's is %s")
      :format(path, data.header.project_id, tostring(client:project_id())))
  end
  local snap
  snap, err = require("swh.snapshot").snapshot(client)
  if not snap then return nil, err end

  local by_id, by_key = {}, {}
  for _, w in ipairs(snap.webhooks) do
    by_id[w.id] = w
    by_key[key(w.app_id, w.target)] = w
  end
  local outcomes = journal.outcomes(data)
  local touched, remove, revert, remake, left = {}, {}, {}, {}, {}
  local function leave(w, why)
    left[#left + 1] = { id = w.id, app_id = w.app_id, target = w.target, why = why }
  end

  for i, step in ipairs(data.header.steps) do
    local o = outcomes[i]
    local sent = o.state == "done" or o.state == "sent"
    if step.op == "create" and sent then
      local body = step.webhook
      -- by the id the run recorded; by target only when the answer was lost (no id): a
      -- webhook with that target under another id is someone else's, never removed
      local live
      if o.id then live = by_id[o.id] else live = by_key[key(body.app_id, body.target)] end
      if live and (matches(live, body) or force) then
        remove[live.id], touched[live.app_id] = true, true
      elseif live and o.state == "done" then
        leave(live, "changed since the run (it made this webhook)")
      end
    elseif step.op == "update" and sent then
      local live = by_id[step.id]
      if type(step.was) ~= "table" then
        leave({ id = step.id }, "the journal does not say what the "
          .. "webhook was before (written by a swh without undo)")
      elseif not live then
        leave({ id = step.id }, "deleted since the run")
      elseif matches(live, step.changes) or force then
        revert[live.id], touched[live.app_id] = step, true
        -- a later move to another app: both apps are in the desired state
        if step.was.app_id ~= nil then touched[step.was.app_id] = true end
      elseif not matches(live, step.was) then
        leave(live, "changed since the run")
      end
    elseif step.op == "delete" and sent and o.restore ~= "restored" then
      local w = step.webhook
      local live = by_id[w.id] or by_key[key(w.app_id, w.target)]
      if live and live.id == w.id then -- luacheck: ignore 542
        -- the delete never happened: nothing to undo
      elseif live and not force then
        leave(live, ("another webhook holds the target the run deleted (%s)"):format(w.id))
      else
        remake[#remake + 1] = w
        touched[w.app_id] = true
        if live then remove[live.id] = true end -- with force: it makes way
      end
    end
  end

  -- The desired state: the touched apps' live webhooks, reverted.
  local apps, webhooks = {}, {}
  for _, app in ipairs(snap.apps) do if touched[app.id] then apps[#apps + 1] = app end end
  for _, w in ipairs(snap.webhooks) do
    if touched[w.app_id] and not remove[w.id] then
      local step = revert[w.id]
      if step then
        w = values.copy(w)
        for _, f in ipairs(FIELDS) do
          if step.changes[f] ~= nil then w[f] = values.copy(step.was[f]) end
        end
      end
      webhooks[#webhooks + 1] = w
    end
  end
  for _, w in ipairs(remake) do
    local again = values.copy(w)
    again.id = nil
    webhooks[#webhooks + 1] = again
  end
  local desired = { swh_snapshot = 1, project_id = snap.project_id,
                    apps = setmetatable(apps, core.array_mt),
                    webhooks = setmetatable(webhooks, core.array_mt) }
  local plan
  plan, err = require("swh.plan").plan(client, desired)
  if not plan then return nil, err end
  return plan, left
end

return M
