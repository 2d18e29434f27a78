--- swh backup FILE: every app and webhook of the project, saved to FILE.
--
-- The whole command is swh.snapshot and swh.save: a script of one's own does the same with
--   assert(swh.save(assert(swh.snapshot(client)), "backup.json"))
local swh = require "swh"
local args = require "swh.commands.args"

local command = {
  name = "backup",
  summary = "save every app and webhook of the project to FILE (secrets included)",
  usage = "swh backup FILE",
  description = "The file is a snapshot (swh.save): written whole or not at all, mode 0600,\n"
    .. "webhooks in a stable order (app, then target) so that two backups diff line by\n"
    .. "line. swh restore FILE brings a project back to it; swh --sandbox=FILE rehearses\n"
    .. "on it.",
  positional = { { "FILE", help = "where to write the snapshot (replaced if it exists)" } },
  statuses = "0 saved, 1 failed (nothing written), 2 bad arguments.",
}

function command.run(_, positional, env)
  local path = positional[1]
  local client = env.client()
  local snapshot, err = swh.snapshot(client, { progress = not env.quiet and "Reading" or nil })
  if not snapshot then args.fail("cannot read the project: " .. tostring(err)) end
  local ok, save_err = swh.save(snapshot, path)
  if not ok then args.fail(tostring(save_err.message or save_err)) end
  io.stderr:write(("saved %d webhooks of %d apps to %s\n"):format(#snapshot.webhooks,
    #snapshot.apps, path))
  return 0
end

return command
