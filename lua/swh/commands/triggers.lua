--- swh triggers --add T… --remove T…: adds triggers to, or removes them from, the selected
-- webhooks (every webhook when no selection is given).
local swh = require "swh"
local args = require "swh.commands.args"
local change = require "swh.commands.change"

local command = {
  name = "triggers",
  summary = "add or remove triggers on the selected webhooks",
  usage = "swh triggers [--add T]… [--remove T]… [selection] [--dry-run] [--yes] [--json]",
  description = "Each --add and --remove takes one trigger name (MESSAGE_DELIVERY, …) or\n"
    .. "several joined with commas. A webhook that has them already is left as it is.",
  statuses = change.STATUSES,
}
command.flags = change.flags {
  { "add", value = "T", repeatable = true, help = "add trigger T (or T1,T2,…)" },
  { "remove", value = "T", repeatable = true, help = "remove trigger T (or T1,T2,…)" },
}

-- The trigger names given to flag (--add, --remove), each checked as the core checks a
-- webhook's triggers: a misspelt one is a bad argument, named with its flag.
local function names(list, flag)
  local out = {}
  for _, given in ipairs(list) do
    for t in given:gmatch("[^,%s]+") do
      local ok, err = swh.validate({ triggers = setmetatable({ t }, swh.array_mt) }, true)
      if not ok then
        args.usage(("--%s: %s"):format(flag, (err.message:gsub("^[%w_.]*%[0%]: ", ""))))
      end
      out[#out + 1] = t
    end
  end
  return out
end

function command.run(opts, _, env)
  local add, remove = names(opts.add, "add"), names(opts.remove, "remove")
  if #add == 0 and #remove == 0 then args.usage("give --add T or --remove T (or both)") end
  local removing = {}
  for _, t in ipairs(remove) do removing[t] = true end
  for _, t in ipairs(add) do
    if removing[t] then args.usage(("%s is both added and removed"):format(t)) end
  end
  local client = env.client()
  local selection = change.selection(opts, client)
  local selected = 0
  local plan = change.plan(client, function(w, app)
    if not selection.test(w, app) then return end
    selected = selected + 1
    local kept, has = {}, {}
    for _, t in ipairs(w.triggers or {}) do
      if not removing[t] then kept[#kept + 1] = t; has[t] = true end
    end
    for _, t in ipairs(add) do
      if not has[t] then kept[#kept + 1] = t; has[t] = true end
    end
    w.triggers = setmetatable(kept, swh.array_mt)
  end, selection)
  if selected == 0 then change.none_matched(selection) end
  return change.carry_out("triggers", plan, opts, env, change.app_names(client))
end

return command
