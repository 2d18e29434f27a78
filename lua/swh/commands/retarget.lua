--- swh retarget OLD NEW: moves webhook targets from one host (or URL prefix) to another.
--
-- The work is one swh.plan over a function: each selected webhook whose target is on OLD
-- gets the target with OLD replaced by NEW; the plan is then carried out as every changing
-- command does (swh.commands.change).
local args = require "swh.commands.args"
local change = require "swh.commands.change"

local command = {
  name = "retarget",
  summary = "move targets from one host or URL prefix to another",
  usage = "swh retarget OLD NEW [selection] [--dry-run] [--yes] [--json] [--journal PATH]",
  description = "OLD and NEW are hosts (old.example.com: the host is replaced, the rest of\n"
    .. "the URL kept) or URL prefixes (https://old.example.com/v1: the prefix is replaced).",
  positional = { { "OLD", help = "a host, or a URL prefix (with its scheme)" },
                 { "NEW", help = "the host, or URL prefix, to put in its place" } },
  statuses = change.STATUSES,
}
command.flags = change.flags()

-- The function that moves one target from old to new (target -> new target | nil).
local function mover(old, new)
  if old:find("://", 1, true) then
    if not new:find("://", 1, true) then
      args.usage(("NEW must be a URL prefix too, since OLD is one (%s)"):format(old))
    end
    return function(target)
      if target:sub(1, #old) == old then return new .. target:sub(#old + 1) end
    end
  end
  if new:find("[/?#@]") then
    args.usage(("NEW must be a host too (with a port, if any), since OLD is one; for URL "
      .. "prefixes, give both with their scheme"))
  end
  local host = old:lower()
  return function(target)
    local scheme, userinfo, authority, rest =
      target:match("^(%a[%w+.-]*://)([^/?#]*@)([^/?#]*)(.*)$")
    if not scheme then
      userinfo = ""
      scheme, authority, rest = target:match("^(%a[%w+.-]*://)([^/?#]*)(.*)$")
    end
    if not scheme then return nil end
    local h, port = authority:match("^(.-)(:%d*)$")
    if not h then h, port = authority, "" end
    if h:lower() ~= host then return nil end
    if new:find(":%d+$") then port = "" end
    return scheme .. userinfo .. new .. port .. rest
  end
end

function command.run(opts, positional, env)
  local move = mover(positional[1], positional[2])
  local client = env.client()
  local selection = change.selection(opts, client)
  local moved = 0
  local plan = change.plan(client, function(w, app)
    if not selection.test(w, app) then return end
    local target = move(w.target)
    if target then
      moved = moved + 1
      w.target = target
    end
  end, selection)
  if moved == 0 then change.none_matched(selection, "has its target on " .. positional[1]) end
  return change.carry_out("retarget", plan, opts, env, change.app_names(client))
end

command.mover = mover -- for its spec
return command
