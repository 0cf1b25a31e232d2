--[[
  Uses an action token up, once (Keycloak's single-use action-token store): the check that it
  is the newest of its operation for its user and the mark that it is used are one atomic
  step, so two pages posted at the same moment cannot both pass, and a link that a newer one
  superseded is refused without being marked.

  KEYS[1] the token's used mark      <base>atk:used:<token id>
  KEYS[2] the newest token of its operation for its user   <base>atk:latest:<user id>:<operation>

  ARGV[1] the token id   ARGV[2] ms until the token expires (the mark lives as long)

  Returns ActionTokenResult.Ok (1) used up now; ActionTokenResult.Used (-1) used before;
          ActionTokenResult.Superseded (-2) a newer link of the operation was sent
]]
if redis.call('EXISTS', KEYS[1]) == 1 then return {{ActionTokenResult.Used}} end
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return {{ActionTokenResult.Superseded}} end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
return {{ActionTokenResult.Ok}}
