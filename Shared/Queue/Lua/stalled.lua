-- Stalled-job check, at most once per interval across all workers.
-- Jobs found in `stalled` (suspects of the previous check) whose lock has expired
-- go back to wait; past the max stalled count they are marked to fail (defa),
-- which the worker that takes them does. Then every active job becomes a suspect;
-- a live worker clears its jobs from the set when it renews their locks.
-- ARGV: 1 prefix, 2 now, 3 max stalled count, 4 check interval ms.
-- Returns the ids moved back.
if rcall("EXISTS", kStalledCheck) == 1 then return {} end
rcall("SET", kStalledCheck, now, "PX", ARGV[4])
local cap = eventsCap()
rcall("XTRIM", kEvents, "MAXLEN", "~", cap)
local maxStalled = tonumber(ARGV[3])
local moved = {}
local suspects = rcall("SMEMBERS", kStalled)
if #suspects > 0 then
  rcall("DEL", kStalled)
  for _, jobId in ipairs(suspects) do
    if string.sub(jobId, 1, 2) == "0:" then
      rcall("LREM", kActive, 1, jobId)
    else
      local jobKey = prefix .. jobId
      if rcall("EXISTS", jobKey .. ":lock") == 0 and rcall("LREM", kActive, 1, jobId) > 0 then
        local count = rcall("HINCRBY", jobKey, "stc", 1)
        if count > maxStalled then
          rcall("HSET", jobKey, "defa", "job stalled more than allowable limit")
        end
        rcall("RPUSH", kWait, jobId)
        wakeWorkers(queueHeld())
        rcall("XADD", kEvents, "*", "event", "waiting", "jobId", jobId, "prev", "active")
        rcall("XADD", kEvents, "*", "event", "stalled", "jobId", jobId)
        table.insert(moved, jobId)
      end
    end
  end
end
local active = rcall("LRANGE", kActive, 0, -1)
local i = 1
while i <= #active do
  local j = math.min(i + 4999, #active)
  rcall("SADD", kStalled, unpack(active, i, j))
  i = j + 1
end
return moved
