-- Stores a job's progress (JSON) and emits a progress event.
-- ARGV: 1 prefix, 2 now, 3 jobId, 4 progress. Returns 0, or -1 for no job.
local jobKey = prefix .. ARGV[3]
if rcall("EXISTS", jobKey) == 0 then return -1 end
rcall("HSET", jobKey, "progress", ARGV[4])
emit(eventsCap(), "progress", "jobId", ARGV[3], "data", ARGV[4])
return 0
