-- Gives an active job back (graceful shutdown): lock released, job at the
-- head of wait so it is taken next. ARGV: 1 prefix, 2 now, 3 jobId, 4 token.
-- Returns 1, or a negative code as in complete.lua.
local jobId, token = ARGV[3], ARGV[4]
local jobKey = prefix .. jobId
if rcall("EXISTS", jobKey) == 0 then return -1 end
local err = releaseLock(jobKey, jobId, token)
if err < 0 then return err end
if rcall("LREM", kActive, -1, jobId) == 0 then return -3 end
rcall("RPUSH", kWait, jobId)
wakeWorkers(queueHeld())
emit(eventsCap(), "waiting", "jobId", jobId, "prev", "active")
return 1
