-- Moves the next job to active and locks it.
-- ARGV: 1 prefix, 2 now, 3 token, 4 lock ms, 5 limiter max ("" none),
-- 6 limiter duration ms, 7 worker name.
-- Returns {0, jobId, fields, limitMs, nextDueMs} (jobId "" when none).
local n = takeNext(ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7])
if n[1] ~= "" then return {0, n[1], n[2], 0, 0} end
return {0, "", {}, n[2], n[3]}
