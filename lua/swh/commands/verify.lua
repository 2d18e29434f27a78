--- swh verify: a pre-flight check of callback targets (swh.verify, doc/CALLBACKS.md): the
-- selected webhooks' targets, or the URLs given, each checked for DNS, connect, TLS and how
-- it answers an unsigned callback.
local swh = require "swh"
local args = require "swh.commands.args"
local change = require "swh.commands.change"

local command = {
  name = "verify",
  summary = "check that callback targets are up, have good certificates and verify signatures",
  usage = "swh verify [URL…] [selection] [--signed] [--json] [--timeout S] [--ca-file FILE]",
  description = "Each target gets DNS, connect and TLS checks (the certificate valid for the\n"
    .. "host, days to its expiry) and one POST with no event and no signature: 401 or 403\n"
    .. "is right (\"verifies signatures\"), 2xx a warning (\"accepts unsigned callbacks\"),\n"
    .. "5xx, a timeout or a refusal broken. With --signed, targets whose webhook has a\n"
    .. "secret get a signed test event instead, which they should accept. Without URLs,\n"
    .. "the targets of the project's webhooks (those the selection picks), all at once.",
  positional = { { "URL", optional = true, rest = true,
                   help = "targets to check instead of the project's" } },
  statuses = "0 every target reachable (warnings are printed), 1 a target is broken or the\n"
    .. "project could not be read, 2 bad arguments.",
}
command.flags = {
  { "signed", help = "send a signed test event to targets whose webhook has a secret" },
  { "json", help = "print the report as JSON" },
  { "timeout", value = "S", default = "10", help = "seconds per target (default 10)" },
  { "ca-file", value = "FILE", help = "trust the CAs in FILE instead of the system's" },
}
for _, f in ipairs(change.SELECT_FLAGS) do command.flags[#command.flags + 1] = f end

function command.run(opts, positional, env)
  local timeout = tonumber(opts.timeout)
  if not timeout or timeout <= 0 or timeout > 600 then
    args.usage(('--timeout: "%s" is not a number of seconds (up to 600)'):format(opts.timeout))
  end
  local verify_opts = { signed = opts.signed, timeout = timeout, ca_file = opts.ca_file }
  local targets
  if #positional > 0 then
    targets = positional
  else
    targets = env.client()
    local selection = change.selection(opts, targets)
    verify_opts.select = selection.test
  end
  local report, err = swh.verify(targets, verify_opts)
  if not report then args.fail("cannot verify: " .. tostring(err)) end
  if opts.json then
    io.stdout:write(swh.json.encode(report, { sort_keys = true }), "\n")
  else
    io.stdout:write(swh.verify_table(report), "\n")
  end
  return report.broken > 0 and 1 or 0
end

return command
