-- Failed -> wait (dead-letter retry). ARGV: 1 prefix, 2 now, 3 jobId ("" = all
-- failed jobs, oldest first), 4 max jobs when retrying all.
-- Returns the number of jobs moved.
local ids
if ARGV[3] ~= "" then
  ids = {ARGV[3]}
else
  ids = rcall("ZRANGE", kFailed, 0, tonumber(ARGV[4]) - 1)
end
local cap = eventsCap()
local held = queueHeld()
local moved = 0
for _, jobId in ipairs(ids) do
  local jobKey = prefix .. jobId
  if rcall("ZREM", kFailed, jobId) == 1 then
    if rcall("EXISTS", jobKey) == 1 then
      rcall("HDEL", jobKey, "finishedOn", "processedOn", "failedReason", "defa", "stc")
      enqueue(jobId, tonumber(rcall("HGET", jobKey, "priority")) or 0, "LPUSH", held)
      emit(cap, "waiting", "jobId", jobId, "prev", "failed")
      moved = moved + 1
    end
  end
end
return moved
