--- swh listen: a local receiver of callbacks, like `stripe listen` (swh.listen,
-- doc/CALLBACKS.md): prints each callback as it comes, its signature checked with the
-- secret given or read from a webhook, and can forward each to a local URL.
local swh = require "swh"
local args = require "swh.commands.args"

local command = {
  name = "listen",
  summary = "receive callbacks on 127.0.0.1, check their signatures and print them",
  usage = "swh listen [--port N] [--secret S | --webhook ID] [--forward URL] [--json]\n"
    .. "                  [--count N] [--timeout S] [--max-age S] [--status CODE]",
  description = "Listens on 127.0.0.1 (the URL goes to standard error first) and prints one\n"
    .. "line a callback: the status answered, the signature's verdict (valid, invalid,\n"
    .. "unsigned, or unchecked without a secret), the event and its app. With a secret\n"
    .. "(--secret, or --webhook ID to read that webhook's), an invalid or unsigned callback\n"
    .. "is answered 401. --forward sends each callback on as it came and answers with the\n"
    .. "forward's status. Runs until Ctrl-C, --count callbacks or --timeout seconds.",
  statuses = "0 stopped (Ctrl-C, --count or --timeout), 1 cannot listen or read the webhook,\n"
    .. "2 bad arguments.",
  flags = {
    { "port", value = "N", default = "0", help = "the port (default: a free one)" },
    { "secret", value = "S", help = "check signatures with this secret" },
    { "webhook", value = "ID", help = "check signatures with this webhook's secret" },
    { "forward", value = "URL", help = "send each callback on to URL" },
    { "json", help = "print JSON lines instead of text" },
    { "count", value = "N", help = "stop after N callbacks" },
    { "timeout", value = "S", help = "stop after S seconds" },
    { "max-age", value = "S", default = "300", help = "signature timestamps may be this "
      .. "many seconds off (default 300)" },
    { "status", value = "CODE", default = "200", help = "the answer to a callback taken "
      .. "(default 200)" },
  },
}

local function number(flag, value, low, high)
  local n = math.tointeger(tonumber(value))
  if not n or n < low or n > high then
    args.usage(('--%s: "%s" is not a whole number from %d to %d'):format(flag, value, low, high))
  end
  return n
end

function command.run(opts, _, env)
  if opts.secret and opts.webhook then args.usage("give --secret or --webhook, not both") end
  local options = {
    port = number("port", opts.port, 0, 65535),
    secret = opts.secret,
    forward = opts.forward,
    json = opts.json,
    max_age = number("max-age", opts.max_age, 0, 86400),
    status = number("status", opts.status, 200, 599),
    count = opts.count and number("count", opts.count, 1, 1000000000),
    timeout = opts.timeout and number("timeout", opts.timeout, 1, 1000000000),
    output = function(line)
      io.stdout:write(line, "\n")
      io.stdout:flush()
    end,
    on_ready = function(url)
      io.stderr:write("Listening on ", url, " (Ctrl-C stops)\n")
      io.stderr:flush()
    end,
  }
  if opts.webhook then
    options.webhook, options.client = opts.webhook, env.client()
  end
  local seen, err = swh.listen_run(options)
  if not seen then args.fail(tostring(err)) end
  return 0
end

return command
