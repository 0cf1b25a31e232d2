--[[
  Resolves a session token (by its hash) for one request, ending the session first if its
  deadline has passed (an ended session's token is refused immediately, whether or not the
  timer has run yet), and optionally counting the request as activity (as touch-session does).

  KEYS[1..8] the realm keys of includes/common.lua (the token index is KEYS[7])
  KEYS[9] session key prefix: the token's session hash is KEYS[9]..id (the id read from the
          token index), same slot by the {realm} tag
  KEYS[10] user key prefix: the session's user hash is KEYS[10]..userId (read from the
          session), same slot by the {realm} tag

  ARGV[1] token hash   ARGV[2] "1" to count as activity   ARGV[3] source
  ARGV[4] the session id the token names (sessions/tokens.ts), or "" for a token of the first
          release's form, which only the token index (KEYS[7]) knows

  Returns {} when the token is unknown or its session ended, else
  { sessionFlat (HGETALL of the session), userFlat (HGETALL of its user), newSlices... }
]]
--- @include "common"
local th = ARGV[1]
local sid = ARGV[4]
local indexed = sid == ''
if indexed then
  sid = redis.call('HGET', tokensKey, th)
  if not sid then return {} end
elseif redis.call('HGET', KEYS[9] .. sid, 'th') ~= th then
  -- a session id anyone may know, with a secret that is not that session's
  return {}
end
local key = KEYS[9] .. sid
local result, h, now, prompt = openSession(key, sid)
if indexed and result == {{SessionResult.NoSession}} then redis.call('HDEL', tokensKey, th) end
if not h then return {} end
if ARGV[2] == '1' and h.st == 'a' then recordActivity(key, sid, h, now, prompt, ARGV[3]) end
return { redis.call('HGETALL', key), redis.call('HGETALL', KEYS[10] .. h.u), unpack(newSlices) }
