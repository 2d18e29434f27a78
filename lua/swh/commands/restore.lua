--- swh restore FILE: makes the project match a backup (swh backup FILE). Webhooks deleted
-- since the backup come back with new ids (the API makes ids); the others keep theirs.
local swh = require "swh"
local args = require "swh.commands.args"
local change = require "swh.commands.change"
local apply = require "swh.commands.apply"

local command = {
  name = "restore",
  summary = "make the project match a backup",
  usage = "swh restore FILE [selection] [--dry-run] [--yes] [--json] [--journal PATH]",
  description = "FILE is a snapshot (swh backup). Its apps get exactly its webhooks back:\n"
    .. "changed ones are updated (secrets included), missing ones made again (with new\n"
    .. "ids: the API makes ids), ones made since are deleted. Other apps are untouched.",
  positional = { { "FILE", help = "the backup" } },
  statuses = change.STATUSES,
}
command.flags = change.flags()

function command.run(opts, positional, env)
  local snapshot, err = swh.load(positional[1])
  if not snapshot then args.fail(tostring(err.message or err)) end
  return apply.apply("restore", snapshot, opts, env)
end

return command
