-- A failed attempt: retry (after the backoff: delayed; without: wait) while
-- attempts remain, else active -> failed (the dead-letter set).
-- ARGV: 1 prefix, 2 now, 3 jobId, 4 token, 5 failedReason, 6 stacktrace entry,
-- 7 attempts, 8 backoff type ("", "fixed", "exponential"), 9 backoff delay ms,
-- 10 unrecoverable "1"/"0", 11 keep count, 12 keep age, 13 fetch next,
-- 14 lock token for the next job, 15 lock ms, 16 limiter max, 17 limiter duration,
-- 18 worker name, 19 stack trace limit (-1 none).
-- Returns {code, nextJobId, fields, limitMs, nextDueMs}: code 2 failed,
-- 3 retry delayed, 4 retry waiting, negative as in complete.lua.
local jobId, token = ARGV[3], ARGV[4]
local jobKey = prefix .. jobId
local fetchNext, nextToken = ARGV[13], ARGV[14]
local lockMs, limMax, limDur, worker = ARGV[15], tonumber(ARGV[16]), tonumber(ARGV[17]), ARGV[18]
if rcall("EXISTS", jobKey) == 0 then
  return reply(-1, fetchNext, nextToken, lockMs, limMax, limDur, worker)
end
local err = releaseLock(jobKey, jobId, token)
if err < 0 then return reply(err, fetchNext, nextToken, lockMs, limMax, limDur, worker) end
if rcall("LREM", kActive, -1, jobId) == 0 then
  return reply(-3, fetchNext, nextToken, lockMs, limMax, limDur, worker)
end
local cap = eventsCap()
local reason = ARGV[5]
local fields = rcall("HMGET", jobKey, "atm", "stacktrace", "defa", "priority")
local made = tonumber(fields[1]) or 0
local stack = {}
if fields[2] then
  local ok, decoded = pcall(cjson.decode, fields[2])
  if ok and type(decoded) == "table" then stack = decoded end
end
table.insert(stack, ARGV[6])
local limit = tonumber(ARGV[19]) or -1
if limit == 0 then
  stack = {}
elseif limit > 0 then
  while #stack > limit do table.remove(stack, 1) end
end
local stackJson = "[]"
if #stack > 0 then stackJson = cjson.encode(stack) end
rcall("HSET", jobKey, "failedReason", reason, "stacktrace", stackJson)
made = rcall("HINCRBY", jobKey, "atm", 1)

local attempts = tonumber(ARGV[7]) or 1
local code = 2
if ARGV[10] ~= "1" and not fields[3] and made < attempts then
  local delay = 0
  local base = tonumber(ARGV[9]) or 0
  if ARGV[8] == "fixed" then
    delay = base
  elseif ARGV[8] == "exponential" then
    delay = math.floor(2 ^ (made - 1) * base + 0.5)
  end
  if delay > 0 then
    rcall("HSET", jobKey, "delay", delay)
    scheduleDelayed(cap, jobId, now + delay)
    code = 3
  else
    enqueue(jobId, tonumber(fields[4]) or 0, "LPUSH", queueHeld())
    emit(cap, "waiting", "jobId", jobId, "prev", "active")
    code = 4
  end
else
  if fields[3] then reason = fields[3] end
  local keepCount, keepAge = tonumber(ARGV[11]), tonumber(ARGV[12])
  if keepCount == 0 then
    deleteJobKeys(jobKey)
  else
    rcall("ZADD", kFailed, now, jobId)
    rcall("HSET", jobKey, "failedReason", reason, "finishedOn", now)
    rcall("HDEL", jobKey, "defa")
    trimFinished(kFailed, keepCount, keepAge)
  end
  emit(cap, "failed", "jobId", jobId, "failedReason", reason, "prev", "active")
  if made >= attempts then
    emit(cap, "retries-exhausted", "jobId", jobId, "attemptsMade", made)
  end
end
local r = reply(code, fetchNext, nextToken, lockMs, limMax, limDur, worker)
if r[2] == "" then drainedCheck() end
return r
