-- Put before every script that needs the clock or a token.

-- Redis's clock: {milliseconds, microseconds} since the epoch.
local function clock()
  local time = redis.call('TIME')
  local seconds, micros = tonumber(time[1]), tonumber(time[2])
  return seconds * 1000 + math.floor(micros / 1000), seconds * 1000000 + micros
end

-- The next fencing token of prefix p, as text (Lua numbers print in
-- exponent form). Tokens grow by one per claim and never fall below the
-- clock in microseconds, so they keep growing after Redis restarts empty.
local function next_token(p, micros)
  local token = redis.call('INCR', p .. ':token')
  if token < micros then
    token = micros
    redis.call('SET', p .. ':token', string.format('%d', token))
  end
  return string.format('%d', token)
end

