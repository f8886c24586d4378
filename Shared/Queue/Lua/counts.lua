-- Job counts per state. ARGV: 1 prefix, 2 now.
-- Returns {wait, active, delayed, prioritized, completed, failed, paused}.
local waiting = rcall("LLEN", kWait)
local paused = rcall("LLEN", kPaused)
if rcall("HEXISTS", kMeta, "paused") == 1 then
  paused = paused + waiting
  waiting = 0
end
return {waiting, rcall("LLEN", kActive), rcall("ZCARD", kDelayed), rcall("ZCARD", kPrioritized),
  rcall("ZCARD", kCompleted), rcall("ZCARD", kFailed), paused}
