--[[
  Makes a freshly generated signing key the realm's active one and gives the key it replaces
  its retire-at: the moment the last token it may have signed ends. Until then the old key stays
  in the JWKS and keeps verifying; after it, whoever loads the keys drops it. Atomic, so that two
  rotations at once each retire the key they replaced (none is left without a retire-at).

  Hash <base>oidc:keys   active (kid), k:<kid> (private JWK), r:<kid> (retire-at ms), hmac

  ARGV[1] key base   ARGV[2] the new kid (its k: field already written)
  ARGV[3] how long, ms, a token signed by the replaced key may still live (counted from now)

  Returns { 1, replaced kid or "" }; { 0 } when the new key is missing
]]
local key = ARGV[1] .. 'oidc:keys'
local kid = ARGV[2]
if redis.call('HEXISTS', key, 'k:' .. kid) == 0 then return { 0 } end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local old = redis.call('HGET', key, 'active')
redis.call('HSET', key, 'active', kid)
if old and old ~= kid and redis.call('HEXISTS', key, 'k:' .. old) == 1 then
  redis.call('HSET', key, 'r:' .. old, now + tonumber(ARGV[3]))
end
return { 1, old or '' }
