--[[
  A reserved attempt succeeded (login-reserve-2.lua): the username's failures at that address
  are cleared, and the address gets its reservation back, so that people signing in from one
  address (an office behind NAT) do not use up its budget. The address's failures are not
  cleared: one good account must not reset the budget that bounds spraying from that address.

  KEYS[1] attempts of one username from one address   KEYS[2] attempts from one address

  Returns 1
]]
redis.call('DEL', KEYS[1])
-- never below zero, and never a counter without expiry (the window may have passed meanwhile)
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
return 1
