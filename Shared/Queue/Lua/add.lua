-- Adds one job. ARGV: 1 prefix, 2 now, 3 custom id ("" = next counter value),
-- 4 name, 5 data (JSON), 6 opts (JSON), 7 delay ms, 8 priority, 9 "LPUSH"/"RPUSH" (lifo).
-- Returns the job id; an existing id adds nothing and returns that id.
local jobId = ARGV[3]
local name, data, opts = ARGV[4], ARGV[5], ARGV[6]
local delay = tonumber(ARGV[7]) or 0
local priority = tonumber(ARGV[8]) or 0
local counter = rcall("INCR", kId)
if jobId == "" then
  jobId = tostring(counter)
elseif rcall("EXISTS", prefix .. jobId) == 1 then
  rcall("XADD", kEvents, "MAXLEN", "~", eventsCap(), "*", "event", "duplicated", "jobId", jobId)
  return jobId
end
local cap = eventsCap()
local jobKey = prefix .. jobId
rcall("HSET", jobKey, "name", name, "data", data, "opts", opts, "timestamp", now,
  "delay", delay, "priority", priority)
rcall("XADD", kEvents, "*", "event", "added", "jobId", jobId, "name", name)
if delay > 0 then
  scheduleDelayed(cap, jobId, now + delay)
else
  enqueue(jobId, priority, ARGV[9], queueHeld())
  emit(cap, "waiting", "jobId", jobId)
end
return jobId
