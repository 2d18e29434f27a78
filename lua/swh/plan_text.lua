--- swh.plan_text: tostring(plan), a table of the plan's steps in the order they run, for a
-- person to read before applying it. Secrets (secret, client_secret, any key swh.pretty
-- counts as secret) show as swh.pretty's mask, and so do passwords inside URLs.
--
--   plan for project p: 1 to create, 1 to update, 1 to delete, 2 unchanged
--   #  OP  ID          APP     TARGET                   CHANGES
--   1  ~   01J…WBK001  01J…A1  https://a.example.com/1  triggers: +OPT_IN; secret: replaced
--   2  -   01J…WBK002  01J…A1  https://a.example.com/2
--   3  +               01J…A1  https://b.example.com/3  after 2, which comes back if this fails
local pretty = require "swh.pretty"
local core = require "swh.core"
local build = require "swh.plan_build"
local values = require "swh.values"

local ipairs, next, pairs, tostring, type = ipairs, next, pairs, tostring, type
local concat, sort = table.concat, table.sort

local M = {}

local null = core.null
local NONE = "(none)"
local KNOWN = {}
for _, f in ipairs(build.FIELDS) do KNOWN[f] = true end
KNOWN.id = true

-- One line for any value; secrets masked by key.
local function inline(v, key)
  if v == nil or v == null then return NONE end
  if pretty.is_secret_key(key) then
    return (type(v) == "string" and v == "") and NONE or pretty.MASK
  end
  if type(v) ~= "table" then return tostring(v) end
  if #v > 0 or next(v) == nil then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = inline(x) end
    return #parts == 0 and NONE or concat(parts, ", ")
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = tostring(k) end
  sort(keys)
  local parts = {}
  for i, k in ipairs(keys) do parts[i] = k .. " = " .. inline(v[k], k) end
  return "{" .. concat(parts, ", ") .. "}"
end

-- "+ADDED -REMOVED" between two lists of trigger names.
local function trigger_change(before, after)
  local had, has, parts = {}, {}, {}
  for _, t in ipairs(before or {}) do had[build.trigger_name(t)] = true end
  for _, t in ipairs(after or {}) do has[build.trigger_name(t)] = true end
  for _, t in ipairs(after or {}) do
    if not had[build.trigger_name(t)] then parts[#parts + 1] = "+" .. build.trigger_name(t) end
  end
  for _, t in ipairs(before or {}) do
    if not has[build.trigger_name(t)] then parts[#parts + 1] = "-" .. build.trigger_name(t) end
  end
  return concat(parts, " ")
end

-- "name: old -> new"; a secret replaced by another reads "name: replaced", since both
-- would show as the same mask.
local function value_change(name, key, old, new)
  local shown_old, shown_new = inline(old, key), inline(new, key)
  if pretty.is_secret_key(key) and shown_old ~= NONE and shown_new ~= NONE then
    return name .. ": replaced"
  end
  return ("%s: %s -> %s"):format(name, shown_old, shown_new)
end

local function update_changes(step)
  local parts = {}
  for _, field in ipairs(step.mask) do
    local old, new = step.was[field], step.changes[field]
    if field == "triggers" then
      parts[#parts + 1] = "triggers: " .. trigger_change(old, new)
    elseif type(old) == "table" and type(new) == "table" and #old == 0 and #new == 0 then
      -- client_credentials changed in place: the keys that differ, each on its own
      local keys = {}
      for k in pairs(old) do keys[#keys + 1] = tostring(k) end
      for k in pairs(new) do if old[k] == nil then keys[#keys + 1] = tostring(k) end end
      sort(keys)
      for _, k in ipairs(keys) do
        if not values.equal(old[k], new[k]) then
          parts[#parts + 1] = value_change(field .. "." .. k, k, old[k], new[k])
        end
      end
    else
      parts[#parts + 1] = value_change(field, field, old, new)
    end
  end
  return parts
end

local function create_details(webhook)
  local parts = {}
  for _, field in ipairs(build.FIELDS) do
    if field ~= "app_id" and field ~= "target" and webhook[field] ~= nil then
      parts[#parts + 1] = field .. ": " .. inline(webhook[field], field)
    end
  end
  local others = {}
  for k in pairs(webhook) do
    if not KNOWN[k] then others[#others + 1] = tostring(k) end
  end
  sort(others)
  for _, k in ipairs(others) do parts[#parts + 1] = k .. ": " .. inline(webhook[k], k) end
  return parts
end

local function row(i, step)
  local parts, cells
  if step.op == "create" then
    parts = create_details(step.webhook)
    cells = { tostring(i), "+", "", step.webhook.app_id, step.webhook.target }
  elseif step.op == "update" then
    parts = update_changes(step)
    cells = { tostring(i), "~", step.id, step.app_id, step.target }
  else
    parts = {}
    cells = { tostring(i), "-", step.webhook.id, step.webhook.app_id, step.webhook.target }
  end
  if step.pair then
    parts[#parts + 1] = ("after %d, which comes back if this fails"):format(step.pair)
  end
  cells[6] = concat(parts, "; ")
  for k, cell in ipairs(cells) do cells[k] = pretty.mask_urls(cell) end -- before the layout
  return cells
end

--- The text of a plan (its __tostring).
function M.format(plan)
  local head = ("plan for project %s: %d to create, %d to update, %d to delete, %d unchanged")
    :format(tostring(plan.project_id), #plan.creates, #plan.updates, #plan.deletes,
            plan.unchanged)
  if #plan.steps == 0 then return head end
  local rows = {}
  for i, step in ipairs(plan.steps) do rows[i] = row(i, step) end
  return head .. "\n" .. pretty.table({ "#", "OP", "ID", "APP", "TARGET", "CHANGES" }, rows)
end

return M
