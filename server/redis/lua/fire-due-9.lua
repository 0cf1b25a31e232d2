--[[
  The timer check. Takes the sessions whose next check time has come and, for each, decides
  from its current state alone: nothing yet (activity moved the deadline: reschedule), warn,
  or expire; and announce the trailing activity of a session whose last activity came within a
  second of the previous announcement (includes/common.lua recordActivity). Idempotent: a
  duplicate, early or replayed check changes nothing.

  KEYS[1..8] the realm keys of includes/common.lua (the due sessions come from KEYS[2])
  KEYS[9] session key prefix: a due session's hash is KEYS[9]..id (the id read from the
          deadline set), same slot by the {realm} tag

  ARGV[1] max sessions to handle in this call

  Returns { now, nextCheckAt or -1, nFired, firedKind1, lateness1, ..., newSlices... }
  where firedKind is "w" (warning) or "e" (expiry) and lateness is ms after the deadline.
]]
--- @include "common"
local limit = tonumber(ARGV[1])
local now = nowMs()
local prompt = promptSeconds()
local due = redis.call('ZRANGEBYSCORE', deadlinesKey, '-inf', now, 'LIMIT', 0, limit)
local fired = {}
beginBatch()
for _, sid in ipairs(due) do
  local key = KEYS[9] .. sid
  local h = hgetall(key)
  if not h then
    redis.call('ZREM', deadlinesKey, sid)
  else
    local ended, wa, ea, reason = expireIfDue(key, sid, h, now, prompt)
    if ended then
      fired[#fired + 1] = 'e'
      fired[#fired + 1] = now - ea
    elseif now >= wa and h.st == 'a' then
      h.st = 'w'
      h.wr = reason
      h.wa = wa
      h.ea = ea
      count('warning', 1)
      store(key, sid, h)
      emit('session.warning', sid, now,
        cjson.encode({ reason = reason, expiresAt = ea, idleTimeout = tonumber(h.it) }), h)
      fired[#fired + 1] = 'w'
      fired[#fired + 1] = now - wa
    elseif h.st == 'a' then
      -- activity since the last announcement (recordActivity left it for this check): say so
      if tonumber(h.la) > tonumber(h.lae or '0') then
        h.wa = wa
        h.ea = ea
        h.lae = now
        redis.call('HSET', key, 'lae', now)
        emit('session.activity', sid, now, cjson.encode({ source = h.las or 'activity' }), h)
      end
      schedule(sid, wa)
    else
      schedule(sid, ea)
    end
  end
end
flushBatch()
local nextAt = redis.call('ZRANGE', deadlinesKey, 0, 0, 'WITHSCORES')
local result = { now, tonumber(nextAt[2] or '-1'), #fired / 2 }
for _, v in ipairs(fired) do result[#result + 1] = v end
for _, s in ipairs(newSlices) do result[#result + 1] = s end
return result
