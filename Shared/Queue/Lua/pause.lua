-- Pauses (ARGV[3] "paused") or resumes ("resumed") the queue.
-- ARGV: 1 prefix, 2 now, 3 action.
if ARGV[3] == "paused" then
  rcall("HSET", kMeta, "paused", 1)
  rcall("DEL", kMarker)
else
  rcall("HDEL", kMeta, "paused")
  -- jobs left in the pre-v5 "paused" list go back to wait
  if rcall("EXISTS", kPaused) == 1 then
    if rcall("EXISTS", kWait) == 0 then
      rcall("RENAME", kPaused, kWait)
    else
      local ids = rcall("LRANGE", kPaused, 0, 4999)
      rcall("RPUSH", kWait, unpack(ids))
      rcall("LTRIM", kPaused, #ids, -1)
    end
  end
  if rcall("LLEN", kWait) + rcall("ZCARD", kPrioritized) > 0 then
    rcall("ZADD", kMarker, 0, "0")
  else
    markNextDue()
  end
end
rcall("XADD", kEvents, "*", "event", ARGV[3])
return 1
