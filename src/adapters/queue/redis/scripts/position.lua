-- A waiting job's 1-based place in its backend's line. ARGV: prefix, job
-- id. Returns the place, or nil when the job is not waiting.
local p, id = ARGV[1], ARGV[2]
local held = redis.call('HMGET', p .. ':job:' .. id, 's', 'b')
if held[1] ~= 'w' then
  return nil
end
local rank = redis.call('ZRANK', p .. ':ready:' .. held[2], id)
if rank == false then
  return nil
end
return rank + 1
