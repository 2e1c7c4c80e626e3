-- How many jobs wait: per argument, in order, in that backend's line, or
-- in every line for an empty argument. ARGV: prefix, then the backends.
local p = ARGV[1]
local total
local counts = {}
for i = 2, #ARGV do
  if ARGV[i] == '' then
    if total == nil then
      total = 0
      for _, backend in ipairs(redis.call('SMEMBERS', p .. ':backends')) do
        total = total + redis.call('ZCARD', p .. ':ready:' .. backend)
      end
    end
    counts[#counts + 1] = total
  else
    counts[#counts + 1] = redis.call('ZCARD', p .. ':ready:' .. ARGV[i])
  end
end
return counts
