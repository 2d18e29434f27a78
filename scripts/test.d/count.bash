# The counting of scripts/test, sourced by it (and by spec/test_script_spec.lua): every
# step adds its passed and failed tests to $passed and $failed, and any sign of failure (a
# failed test, a run that ends badly, a summary missing) counts as at least one failed.

passed=${passed:-0} failed=${failed:-0}
count() { passed=$((passed + $1)); failed=$((failed + $2)); }

# Runs busted (its arguments) in TAP form and counts: LABEL, then the arguments.
busted_counted() {
  local label=$1; shift
  local out status ok notok
  out=$(lua5.4 /usr/bin/busted -o TAP "$@" 2>&1)
  status=$?
  echo "$out" | grep -v '^ok ' | tail -n 60
  ok=$(echo "$out" | grep -c '^ok ')
  notok=$(echo "$out" | grep -c '^not ok ')
  # busted failing with no failed spec (a spec file that does not load, a crash) or running
  # none is a failure too.
  if [ "$notok" -eq 0 ] && { [ "$status" -ne 0 ] || [ "$ok" -eq 0 ]; }; then notok=1; fi
  count "$ok" "$notok"
  echo "$label: $ok passed, $notok failed"
}

# Runs a node --test run (the command and its arguments) and counts it from the TAP summary
# its reporter ends with ("# pass N", "# fail N", "# cancelled N"). A cancelled test (one
# still pending when the event loop ran dry, say) is failed, though node counts it apart
# and says "# fail 0"; a run that ends with a non-zero status, or without a summary (killed
# by its timeout), is failed too.
node_counted() {
  local out status p f c
  out=$("$@" 2>&1)
  status=$?
  echo "$out" | tail -n 30
  p=$(echo "$out" | sed -n 's/^# pass \([0-9]*\)$/\1/p' | tail -n 1)
  f=$(echo "$out" | sed -n 's/^# fail \([0-9]*\)$/\1/p' | tail -n 1)
  c=$(echo "$out" | sed -n 's/^# cancelled \([0-9]*\)$/\1/p' | tail -n 1)
  if [ -z "$p" ] || [ -z "$f" ]; then p=0 f=1; fi
  f=$((f + ${c:-0}))
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  count "$p" "$f"
}
