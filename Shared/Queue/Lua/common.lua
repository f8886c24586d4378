-- TrustTrade queue: shared prelude, prepended to every script by Scripts.swift.
-- Every script receives the same KEYS (queue-level keys, BullMQ v5 layout) and
-- derives job keys from the prefix "bull:<queue>:" given as ARGV[1].
local rcall = redis.call
local kWait, kActive, kPrioritized, kDelayed = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local kCompleted, kFailed, kPaused, kMeta = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local kId, kEvents, kMarker, kPc = KEYS[9], KEYS[10], KEYS[11], KEYS[12]
local kLimiter, kStalled, kStalledCheck = KEYS[13], KEYS[14], KEYS[15]
local prefix = ARGV[1]
local now = tonumber(ARGV[2])

-- Delayed-set scores hold the due time in ms times 4096, plus a sequence
-- number so several jobs due in the same millisecond keep their order.
local DELAY_SCALE = 4096
local PRIO_SCALE = 4294967296

local function eventsCap()
  local cap = rcall("HGET", kMeta, "opts.maxLenEvents")
  if not cap then
    cap = 10000
    rcall("HSET", kMeta, "opts.maxLenEvents", cap)
  end
  return cap
end

local function emit(cap, ...)
  rcall("XADD", kEvents, "MAXLEN", "~", cap, "*", "event", ...)
end

-- Paused (meta.paused) or at the global concurrency (meta.concurrency):
-- jobs may be queued, but nobody should be woken up.
local function queueHeld()
  local m = rcall("HMGET", kMeta, "paused", "concurrency")
  if m[1] then return true end
  if m[2] then return rcall("LLEN", kActive) >= tonumber(m[2]) end
  return false
end

local function wakeWorkers(held)
  if not held then rcall("ZADD", kMarker, 0, "0") end
end

-- Puts a job id where workers take it from: the wait list (no priority) or
-- the prioritized set (score = priority, then insertion order).
local function enqueue(jobId, priority, pushCmd, held)
  if priority > 0 then
    local seq = rcall("INCR", kPc)
    rcall("ZADD", kPrioritized, priority * PRIO_SCALE + seq % PRIO_SCALE, jobId)
  else
    rcall(pushCmd, kWait, jobId)
  end
  wakeWorkers(held)
end

local function nextDueTime()
  local first = rcall("ZRANGE", kDelayed, 0, 0, "WITHSCORES")
  if first[2] then return math.floor(tonumber(first[2]) / DELAY_SCALE) end
  return nil
end

-- The marker member "1" tells blocked workers when the next delayed job is due.
local function markNextDue()
  local due = nextDueTime()
  if due then rcall("ZADD", kMarker, due, "1") end
end

local function scheduleDelayed(cap, jobId, due)
  local lo = due * DELAY_SCALE
  local hi = lo + DELAY_SCALE - 1
  local last = rcall("ZREVRANGEBYSCORE", kDelayed, hi, lo, "WITHSCORES", "LIMIT", 0, 1)
  local score = lo
  if last[2] then score = math.min(tonumber(last[2]) + 1, hi) end
  rcall("ZADD", kDelayed, score, jobId)
  emit(cap, "delayed", "jobId", jobId, "delay", due)
  markNextDue()
end

-- Moves delayed jobs that are due to wait/prioritized (at most 1000 a call).
local function promoteDue(held)
  local due = rcall("ZRANGEBYSCORE", kDelayed, 0, (now + 1) * DELAY_SCALE - 1, "LIMIT", 0, 1000)
  if #due == 0 then return end
  rcall("ZREM", kDelayed, unpack(due))
  for _, jobId in ipairs(due) do
    local jobKey = prefix .. jobId
    local priority = tonumber(rcall("HGET", jobKey, "priority")) or 0
    enqueue(jobId, priority, "LPUSH", true)
    rcall("HSET", jobKey, "delay", 0)
    rcall("XADD", kEvents, "*", "event", "waiting", "jobId", jobId, "prev", "delayed")
  end
  wakeWorkers(held)
end

-- Remaining ms of the rate-limit window when the limit is reached, else 0.
local function limitedFor(maxJobs)
  if not maxJobs then return 0 end
  local used = tonumber(rcall("GET", kLimiter) or 0)
  if used < maxJobs then return 0 end
  local ttl = rcall("PTTL", kLimiter)
  if ttl > 0 then return ttl end
  if ttl == 0 then rcall("DEL", kLimiter) end
  return 0
end

-- Takes the next job for a worker: promotes due delayed jobs, honours pause,
-- global concurrency and the rate limit, moves the job to active, locks it.
-- Returns {jobId, fields} or {"", limitMs, nextDueMs}.
local function takeNext(token, lockMs, limMax, limDuration, workerName)
  local meta = rcall("HMGET", kMeta, "paused", "concurrency", "max", "duration")
  local held = false
  if meta[1] then
    held = true
  elseif meta[2] and rcall("LLEN", kActive) >= tonumber(meta[2]) then
    held = true
  end
  promoteDue(held)
  local maxJobs = tonumber(meta[3]) or limMax
  local wait = limitedFor(maxJobs)
  if wait > 0 then return {"", wait, 0} end
  if held then return {"", 0, 0} end
  local duration = tonumber(meta[4]) or limDuration

  local jobId = rcall("RPOPLPUSH", kWait, kActive)
  if jobId and string.sub(jobId, 1, 2) == "0:" then
    -- legacy (pre-v5) marker entry in the wait list: drop it
    rcall("LREM", kActive, 1, jobId)
    jobId = rcall("RPOPLPUSH", kWait, kActive)
  end
  if not jobId then
    local top = rcall("ZPOPMIN", kPrioritized)
    if top[1] then
      jobId = top[1]
      rcall("LPUSH", kActive, jobId)
    else
      rcall("DEL", kPc)
    end
  end
  if not jobId then
    -- Nothing to run now: put the next due time back on the marker, so a
    -- worker already blocked on it (with a longer timeout) wakes for it.
    markNextDue()
    return {"", 0, nextDueTime() or 0}
  end

  local jobKey = prefix .. jobId
  if maxJobs and rcall("HEXISTS", jobKey, "defa") == 0 then
    if rcall("INCR", kLimiter) == 1 then
      rcall("PEXPIRE", kLimiter, math.floor(math.abs(duration or 1000)))
    end
  end
  if token ~= "0" then
    rcall("SET", jobKey .. ":lock", token, "PX", lockMs)
  end
  if workerName ~= "" then
    rcall("HSET", jobKey, "processedOn", now, "pb", workerName)
  else
    rcall("HSET", jobKey, "processedOn", now)
  end
  rcall("HINCRBY", jobKey, "ats", 1)
  rcall("XADD", kEvents, "*", "event", "active", "jobId", jobId, "prev", "waiting")
  -- more jobs may be waiting: let another blocked worker look
  rcall("ZADD", kMarker, 0, "0")
  return {jobId, rcall("HGETALL", jobKey)}
end

-- Releases the worker's lock. 0 ok, -2 lock gone, -6 someone else's lock.
local function releaseLock(jobKey, jobId, token)
  if token == "0" then return 0 end
  local held = rcall("GET", jobKey .. ":lock")
  if held == token then
    rcall("DEL", jobKey .. ":lock")
    rcall("SREM", kStalled, jobId)
    return 0
  end
  if held then return -6 end
  return -2
end

local function deleteJobKeys(jobKey)
  rcall("DEL", jobKey, jobKey .. ":logs", jobKey .. ":dependencies", jobKey .. ":processed",
    jobKey .. ":failed", jobKey .. ":unsuccessful")
end

local function deleteJobs(set, ids)
  for _, id in ipairs(ids) do deleteJobKeys(prefix .. id) end
  local i = 1
  while i <= #ids do
    local j = math.min(i + 4999, #ids)
    rcall("ZREM", set, unpack(ids, i, j))
    i = j + 1
  end
end

-- Applies removeOnComplete/removeOnFail to a finished set after adding a job:
-- keepCount < 0 keeps all, keepAge (seconds) < 0 means no age limit.
local function trimFinished(set, keepCount, keepAge)
  if keepAge >= 0 then
    deleteJobs(set, rcall("ZRANGEBYSCORE", set, "-inf", now - keepAge * 1000, "LIMIT", 0, 1000))
  end
  if keepCount > 0 then
    local extra = rcall("ZCARD", set) - keepCount
    if extra > 0 then
      deleteJobs(set, rcall("ZRANGE", set, 0, extra - 1))
    end
  end
end

-- Common tail of complete/fail: finish bookkeeping and optionally the next job.
-- Returns {code, nextJobId, fields, limitMs, nextDueMs}.
local function reply(code, fetchNext, token, lockMs, limMax, limDuration, workerName)
  if fetchNext == "1" then
    local n = takeNext(token, lockMs, limMax, limDuration, workerName)
    if n[1] ~= "" then return {code, n[1], n[2], 0, 0} end
    return {code, "", {}, n[2], n[3]}
  end
  return {code, "", {}, 0, 0}
end

local function drainedCheck()
  if rcall("LLEN", kWait) == 0 and rcall("LLEN", kActive) == 0 and rcall("ZCARD", kPrioritized) == 0 then
    rcall("XADD", kEvents, "*", "event", "drained")
  end
end
