--[[
  Sliding-window rate limit + session check, in one round trip and atomic
  (no race between checking and counting, whatever number of gateways).

  KEYS[1]  counter prefix, e.g. rate_limit:user:<id>:general (windows append :<n>)
  KEYS[2]  optional session key (session:<sid>); refused when it is gone
  ARGV[1]  limit per window (0: no limit, session check only)
  ARGV[2]  window in seconds

  Returns {status, previous, current, elapsedMs}
    status 1 counted, 0 refused (over the limit), -1 session ended.
  The caller derives Remaining/Reset/Retry-After from the same numbers
  (SlidingWindow in Domain/RateLimit.swift uses the same arithmetic).
  Time is Redis' TIME, so gateways with skewed clocks still agree.
]]
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 0 then
  return {-1, 0, 0, 0}
end
local limit = tonumber(ARGV[1])
if limit <= 0 then
  return {1, 0, 0, 0}
end
local windowMs = tonumber(ARGV[2]) * 1000
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = math.floor(now / windowMs)
local elapsed = now - window * windowMs
local currentKey = KEYS[1] .. ':' .. string.format('%d', window)
local previousKey = KEYS[1] .. ':' .. string.format('%d', window - 1)
local counts = redis.call('MGET', previousKey, currentKey)
local previous = tonumber(counts[1]) or 0
local current = tonumber(counts[2]) or 0
local estimate = previous * (windowMs - elapsed) / windowMs + current
if estimate + 1 <= limit then
  redis.call('INCR', currentKey)
  redis.call('PEXPIRE', currentKey, windowMs * 2)
  return {1, previous, current, elapsed}
end
return {0, previous, current, elapsed}
