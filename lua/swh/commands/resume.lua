--- swh resume JOURNAL: finishes a run that stopped (a crash, Ctrl-C, kill -9), from its
-- journal: swh.resume(JOURNAL, client).
local swh = require "swh"
local args = require "swh.commands.args"
local change = require "swh.commands.change"

local command = {
  name = "resume",
  summary = "finish a run that stopped, from its journal",
  usage = "swh resume JOURNAL [--json]",
  description = "Steps done are skipped, steps that may have been sent are made sure of, the\n"
    .. "rest carried out. The run was approved when it started: resume does not ask.",
  positional = { { "JOURNAL", help = "the journal the stopped run printed" } },
  flags = { { "json", help = "print the summary as JSON" } },
  statuses = "0 every step done, 1 a step failed or the journal cannot be resumed,\n"
    .. "2 bad arguments.",
}

function command.run(opts, positional, env)
  local summary, err = swh.resume(positional[1], env.client(),
    { progress = not (env.quiet or opts.json) and "Resuming" or false })
  if not summary then args.fail(tostring(err.message or err)) end
  change.report(summary, opts)
  return summary.failed == 0 and 0 or 1
end

return command
