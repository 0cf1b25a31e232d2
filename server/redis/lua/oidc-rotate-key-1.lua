--[[
  Makes a freshly generated signing key the realm's active one and gives the key it replaces
  its retire-at: the moment the last token it may have signed ends. Until then the old key stays
  in the JWKS and keeps verifying; after it, whoever loads the keys drops it. Atomic, so that two
  rotations at once each retire the key they replaced (none is left without a retire-at).

  KEYS[1] the realm's signing keys hash   <base>oidc:keys
    active (kid), k:<kid> (private JWK), r:<kid> (retire-at ms), hmac

  ARGV[1] the new kid (its k: field already written)
  ARGV[2] how long, ms, a token signed by the replaced key may still live (counted from now)

  Returns { SigningKeyResult.Ok (1), replaced kid or "" }; { SigningKeyResult.Unknown (0) } when the new key is missing
]]
local key = KEYS[1]
local kid = ARGV[1]
if redis.call('HEXISTS', key, 'k:' .. kid) == 0 then return { {{SigningKeyResult.Unknown}} } end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local old = redis.call('HGET', key, 'active')
redis.call('HSET', key, 'active', kid)
if old and old ~= kid and redis.call('HEXISTS', key, 'k:' .. old) == 1 then
  redis.call('HSET', key, 'r:' .. old, now + tonumber(ARGV[2]))
end
return { {{SigningKeyResult.Ok}}, old or '' }
