--[[
  Redeems an OIDC refresh token (whose signature and claims the caller verified) against its
  client session, applying Revoke Refresh Token / Refresh Token Max Reuse atomically, and
  announces token.refreshed — or, on reuse, token.reuse_detected and the end of that client's
  session (the engine session it belongs to), never the user's other sessions.

  KEYS[1..8] the realm keys of includes/common.lua
  KEYS[9] the session's hash           <base>s:<ARGV[1]>
  KEYS[10] the client session hash     <base>oidc:cs:<ARGV[1]>:<ARGV[2]>
    gen  highest refresh-token generation issued     ug  highest generation used so far
    uc   uses of generation ug                        u   user id

  ARGV[1] session id   ARGV[2] client id   ARGV[3] generation of the token
  ARGV[4] revoke ("1" | "0")   ARGV[5] max reuse   ARGV[6] token.refreshed data JSON

  A refresh is activity (Keycloak: refresh requests bump SSO Session Idle): an active session
  gets exactly what touch-session does for it (includes/common.lua recordActivity), in this
  same atomic step, with source "refresh". A session in warning is left alone here; the caller
  extends an idle warning.

  Returns { RefreshResult.Ok (1), newGeneration, session hash after the refresh (HGETALL:
          decoded by sessions/format.ts, never read field by field outside sessions/), newSlices... } ok;
          { RefreshResult.NoSession (-1) } session gone (ended or expired just now);
          { RefreshResult.NoClientSession (-2) } client session revoked;
          { RefreshResult.Reused (-3) } reuse detected (the session was ended)
]]
--- @include "common"
local sid, cid, gen = ARGV[1], ARGV[2], tonumber(ARGV[3])
local key = KEYS[9]
local result, h, now, prompt = openSession(key, sid)
if not h then return { {{RefreshResult.NoSession}} } end
local csKey = KEYS[10]
local cs = hgetall(csKey)
if not cs or gen > tonumber(cs.gen or '0') then return { {{RefreshResult.NoClientSession}} } end
if ARGV[4] == '1' then
  local ug, uc = tonumber(cs.ug or '0'), tonumber(cs.uc or '0')
  if gen < ug or (gen == ug and uc > tonumber(ARGV[5])) then
    redis.call('DEL', csKey)
    local wa, ea = deadlines(h, prompt)
    h.wa, h.ea = wa, ea
    emit('token.reuse_detected', sid, now, cjson.encode({ clientId = cid, kind = 'refresh_token', generation = gen, usedGeneration = ug, uses = uc }), h)
    endSession(key, sid, h, 'session.terminated', cjson.encode({ reason = 'policy', by = cjson.null, cause = 'refresh_token_reuse', clientId = cid }), now)
    return { {{RefreshResult.Reused}} }
  end
  if gen > ug then
    redis.call('HSET', csKey, 'ug', gen, 'uc', 1)
  else
    redis.call('HINCRBY', csKey, 'uc', 1)
  end
end
local nextGen = redis.call('HINCRBY', csKey, 'gen', 1)
emit('token.refreshed', sid, now, ARGV[6], h)
if h.st == 'a' then recordActivity(key, sid, h, now, prompt, 'refresh') end
-- the client session lives a minute past the refresh token it just issued
redis.call('PEXPIRE', csKey, math.max(60000, math.min(now + tonumber(h.it) * 1000, tonumber(h.mx)) - now + 60000))
return { {{RefreshResult.Ok}}, nextGen, redis.call('HGETALL', key), unpack(newSlices) }
