-- Renews the locks of a worker's active jobs in one call.
-- ARGV: 1 prefix, 2 now, 3 lock ms, then jobId, token pairs.
-- Returns the ids whose lock was lost (expired or taken by another worker).
local lost = {}
for i = 4, #ARGV, 2 do
  local jobId, token = ARGV[i], ARGV[i + 1]
  local lockKey = prefix .. jobId .. ":lock"
  if rcall("GET", lockKey) == token then
    rcall("SET", lockKey, token, "PX", ARGV[3])
    rcall("SREM", kStalled, jobId)
  else
    table.insert(lost, jobId)
  end
end
return lost
