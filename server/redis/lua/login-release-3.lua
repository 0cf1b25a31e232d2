--[[
  A reserved attempt succeeded (login-reserve-3.lua): the username's failures at that address
  are cleared, and the address gets its reservation back, so that people signing in from one
  address (an office behind NAT) do not use up its budget. The address's failures are not
  cleared: one good account must not reset the budget that bounds spraying from that address.

  The address becomes familiar to the username for 30 days (ARGV[1], ms): past the address's
  shared budget, that username may still try its own budget from there.

  KEYS[1] attempts of one username from one address   KEYS[2] attempts from one address
  KEYS[3] the username signed in from this address

  Returns 1
]]
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[1])
-- never below zero, and never a counter without expiry (the window may have passed meanwhile)
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
return 1
