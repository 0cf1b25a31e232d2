--[[
  Reserves one password attempt before the password is checked, or refuses it. Checking and
  counting are one step, so that parallel guesses cannot all pass a check before any of them
  is counted: of N parallel attempts at most the limit are reserved, and a refused attempt
  neither counts nor reaches the password hash. A reservation that fails stays counted (it is
  the failure); a success gives it back (login-release-3.lua).

  Each counter is a fixed window: it expires its window after the attempt that created it.

  KEYS[1] attempts of one username from one address   <base>lf:ua:<username digest>:<address>
  KEYS[2] attempts from one address, any username     <base>lf:a:<address>
  KEYS[3] the username signed in from this address     <base>lf:k:<username digest>:<address>
  ARGV[1] the limit of KEYS[1]   ARGV[2] the limit of KEYS[2]   ARGV[3] the window, ms

  Returns { LoginReserve.Reserved (1), 0 } reserved (both counters incremented);
          { LoginReserve.UserAtAddress (-1), ms } refused, KEYS[1] is at its limit for ms more;
          { LoginReserve.Address (-2), ms } refused, KEYS[2] is at its limit for ms more (and the
          address is not familiar)
]]
local window = tonumber(ARGV[3])

-- ms until the counter frees up, or nil while it is under its limit
local function full(key, limit)
  if tonumber(redis.call('GET', key) or '0') < limit then return nil end
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('PEXPIRE', key, window)
    ttl = window
  end
  return ttl
end

local wait = full(KEYS[1], tonumber(ARGV[1]))
if wait then return { {{LoginReserve.UserAtAddress}}, wait } end
wait = full(KEYS[2], tonumber(ARGV[2]))
if wait and redis.call('EXISTS', KEYS[3]) == 0 then return { {{LoginReserve.Address}}, wait } end
for _, key in ipairs({ KEYS[1], KEYS[2] }) do
  if redis.call('INCR', key) == 1 or redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, window) end
end
return { {{LoginReserve.Reserved}}, 0 }
