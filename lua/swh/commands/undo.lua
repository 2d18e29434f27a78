--- swh undo JOURNAL: reverts the run whose journal is JOURNAL (finished, stopped or
-- broken): swh.undo(JOURNAL, client) makes the plan, carried out as every changing
-- command's is (swh.commands.change), with a journal of its own.
local swh = require "swh"
local args = require "swh.commands.args"
local change = require "swh.commands.change"

local command = {
  name = "undo",
  summary = "revert a run from its journal (what it made, changed and deleted)",
  usage = "swh undo JOURNAL [--force] [--dry-run] [--yes] [--json] [--journal PATH]",
  description = "Webhooks the run made are deleted, those it updated get their old values\n"
    .. "back (secrets included), those it deleted are made again (with new ids). A webhook\n"
    .. "changed since the run is reported and left alone, unless --force.",
  positional = { { "JOURNAL", help = "the journal of the run to revert" } },
  statuses = change.STATUSES,
}
command.flags = change.flags({
  { "force", help = "revert webhooks changed since the run too" },
}, false)

function command.run(opts, positional, env)
  local client = env.client()
  local plan, left = swh.undo(positional[1], client, { force = opts.force == true })
  if not plan then args.fail(tostring(left.message or left)) end
  for _, l in ipairs(left) do
    io.stderr:write(("left alone: webhook %s%s: %s%s\n"):format(tostring(l.id),
      l.target and " (" .. tostring(l.target) .. ")" or "", l.why,
      opts.force and "" or " (--force reverts it anyway)"))
  end
  return change.carry_out("undo", plan, opts, env, change.app_names(client))
end

return command
