--- swh.plan.text: tostring(plan), a table of the plan's steps in the order they run, for a
-- person to read before applying it. Secrets (secret, client_secret, any key swh.pretty
-- counts as secret) show as swh.pretty's mask, and so do passwords inside URLs.
--
--   plan for project p:
--   1 to create, 1 to update, 1 to delete, 2 unchanged
--   1 ~ update 01J…WBK001
--       app: Support (01J…A1)
--       target: https://a.example.com/1
--            -> https://c.example.com/1
--       triggers: +OPT_IN
--       secret: replaced
--   2 - delete 01J…WBK002
--       app: Support (01J…A1)
--       target: https://a.example.com/2
--   3 + create
--       app: Support (01J…A1)
--       target: https://b.example.com/3
--       after step 2, which comes back if this fails
-- Lines longer than $COLUMNS (80 by default) are broken, the rest indented.
local pretty = require "swh.pretty"
local core = require "swh.core"
local build = require "swh.plan.build"
local values = require "swh.plan.values"

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

-- The width plans are laid out for: $COLUMNS when it is a sensible number, else 80.
local function columns()
  local n = tonumber(os.getenv("COLUMNS") or "")
  if n and n >= 40 and n <= 1000 then return math.floor(n) end
  return 80
end

local INDENT = "    "

-- line, broken into pieces of at most width characters (UTF-8 aware: the mask is three
-- bytes a dot), the pieces after the first indented more. One pattern match a piece,
-- anchored: linear in the line's length.
local function wrapped(out, line, width)
  local length = utf8.len(line) or #line
  if length <= width then
    out[#out + 1] = line
    return
  end
  local cont = INDENT .. "  "
  local first = true
  while true do
    local room = first and width or width - #cont
    length = utf8.len(line) or #line
    if length <= room then
      out[#out + 1] = (first and "" or cont) .. line
      return
    end
    local cut = utf8.offset(line, room + 1) or room + 1
    -- at a space when there is one in the second half (words), else anywhere (a URL)
    local space = line:sub(1, cut - 1):match(".*() ")
    if space and space > cut / 2 then
      out[#out + 1] = (first and "" or cont) .. line:sub(1, space - 1)
      line = line:sub(space + 1)
    else
      out[#out + 1] = (first and "" or cont) .. line:sub(1, cut - 1)
      line = line:sub(cut)
    end
    first = false
  end
end

-- "Support US (01J…)", or the id alone when the plan does not know the app's name.
local function app_text(plan, app_id)
  local name = plan.app_names and plan.app_names[app_id]
  if name == nil or name == "" then return tostring(app_id) end
  return ("%s (%s)"):format(tostring(name), tostring(app_id))
end

-- The lines of step i: what and which webhook, then its app, its target and a line a
-- changed field; a changed target shows the new one under the old, not both twice.
local function step_lines(plan, i, step)
  local lines, parts
  local target_change
  if step.op == "create" then
    parts = create_details(step.webhook)
    lines = { ("%d + create"):format(i), INDENT .. "app: " .. app_text(plan, step.webhook.app_id),
              INDENT .. "target: " .. tostring(step.webhook.target) }
  elseif step.op == "update" then
    local mask = {}
    for _, f in ipairs(step.mask) do
      if f == "target" then target_change = step.changes.target else mask[#mask + 1] = f end
    end
    parts = update_changes({ mask = mask, was = step.was, changes = step.changes })
    lines = { ("%d ~ update %s"):format(i, tostring(step.id)),
              INDENT .. "app: " .. app_text(plan, step.app_id),
              INDENT .. "target: " .. tostring(step.target) }
    if target_change then lines[#lines + 1] = INDENT .. "     -> " .. tostring(target_change) end
  else
    parts = {}
    lines = { ("%d - delete %s"):format(i, tostring(step.webhook.id)),
              INDENT .. "app: " .. app_text(plan, step.webhook.app_id),
              INDENT .. "target: " .. tostring(step.webhook.target) }
  end
  for _, p in ipairs(parts) do lines[#lines + 1] = INDENT .. p end
  if step.pair then
    lines[#lines + 1] = INDENT .. ("after step %d, which comes back if this fails"):format(
      step.pair)
  end
  for k, line in ipairs(lines) do lines[k] = pretty.mask_urls(line) end
  return lines
end

--- The text of a plan (its __tostring): two head lines, then each step as a block of lines,
-- laid out for $COLUMNS (80 by default).
function M.format(plan)
  local width = columns()
  local out = {}
  -- two lines: a project id (a UUID) and the counts would not fit one
  wrapped(out, ("plan for project %s:"):format(tostring(plan.project_id)), width)
  wrapped(out, ("%d to create, %d to update, %d to delete, %d unchanged"):format(
    #plan.creates, #plan.updates, #plan.deletes, plan.unchanged), width)
  for i, step in ipairs(plan.steps) do
    for _, line in ipairs(step_lines(plan, i, step)) do wrapped(out, line, width) end
  end
  return concat(out, "\n")
end

return M
