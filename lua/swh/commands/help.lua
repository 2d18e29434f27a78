--- swh help [COMMAND]: the list of commands, or one command's --help.
local commands = require "swh.commands"
local args = require "swh.commands.args"

local command = {
  name = "help",
  summary = "list the commands, or show how to use one",
  usage = "swh help [COMMAND]",
  positional = { { "COMMAND", optional = true, help = "the command to explain" } },
}

function command.run(_, positional)
  local name = positional[1]
  if name then
    local other = commands.find(name)
    if not other then
      args.usage(('no command "%s" (the commands: %s)'):format(name,
        table.concat(commands.NAMES, ", ")))
    end
    print(args.help(other))
    return 0
  end
  print("usage: swh [options] COMMAND [args...]\n\nCommands:\n" .. commands.listing()
    .. "\n\n'swh help COMMAND' or 'swh COMMAND --help' explains one; 'swh --help' lists "
    .. "swh's own options, which go before the command.")
  return 0
end

return command
