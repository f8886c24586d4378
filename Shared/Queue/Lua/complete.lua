-- Active -> completed, then (optionally) the next job in the same call.
-- ARGV: 1 prefix, 2 now, 3 jobId, 4 token, 5 returnvalue (JSON), 6 keep count
-- (-1 all, 0 none), 7 keep age s (-1 none), 8 fetch next "1"/"0", 9 lock token
-- for the next job, 10 lock ms, 11 limiter max, 12 limiter duration, 13 worker name.
-- Returns {code, nextJobId, fields, limitMs, nextDueMs}; code 1 ok, -1 no job,
-- -2 lock missing, -3 not active, -6 lock held by another worker.
local jobId, token = ARGV[3], ARGV[4]
local jobKey = prefix .. jobId
local nextToken, lockMs, limMax, limDur, worker = ARGV[9], ARGV[10], tonumber(ARGV[11]), tonumber(ARGV[12]), ARGV[13]
if rcall("EXISTS", jobKey) == 0 then
  return reply(-1, ARGV[8], nextToken, lockMs, limMax, limDur, worker)
end
local err = releaseLock(jobKey, jobId, token)
if err < 0 then return reply(err, ARGV[8], nextToken, lockMs, limMax, limDur, worker) end
if rcall("LREM", kActive, -1, jobId) == 0 then
  return reply(-3, ARGV[8], nextToken, lockMs, limMax, limDur, worker)
end
local cap = eventsCap()
rcall("HINCRBY", jobKey, "atm", 1)
local keepCount, keepAge = tonumber(ARGV[6]), tonumber(ARGV[7])
if keepCount == 0 then
  deleteJobKeys(jobKey)
else
  rcall("ZADD", kCompleted, now, jobId)
  rcall("HSET", jobKey, "returnvalue", ARGV[5], "finishedOn", now)
  trimFinished(kCompleted, keepCount, keepAge)
end
emit(cap, "completed", "jobId", jobId, "returnvalue", ARGV[5], "prev", "active")
local r = reply(1, ARGV[8], nextToken, lockMs, limMax, limDur, worker)
if r[2] == "" then drainedCheck() end
return r
