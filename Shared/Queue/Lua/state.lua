-- A job's state and fields. ARGV: 1 prefix, 2 now, 3 jobId.
-- Returns {state, fields} or {} when there is no such job.
local jobId = ARGV[3]
local jobKey = prefix .. jobId
local fields = rcall("HGETALL", jobKey)
if #fields == 0 then return {} end
local state = "unknown"
if rcall("ZSCORE", kCompleted, jobId) then state = "completed"
elseif rcall("ZSCORE", kFailed, jobId) then state = "failed"
elseif rcall("ZSCORE", kDelayed, jobId) then state = "delayed"
elseif rcall("ZSCORE", kPrioritized, jobId) then state = "prioritized"
elseif rcall("LPOS", kActive, jobId) then state = "active"
elseif rcall("LPOS", kWait, jobId) then
  if rcall("HEXISTS", kMeta, "paused") == 1 then state = "paused" else state = "waiting" end
elseif rcall("LPOS", kPaused, jobId) then state = "paused"
end
return {state, fields}
