/** Pure helpers of the realm settings form. */
import { ACTION_TOKEN_OPERATIONS, type RealmPolicy } from '../../../shared/policy.js';

export function clonePolicy(p: RealmPolicy): RealmPolicy {
  return { ...p, userActionLifespanOverrides: { ...p.userActionLifespanOverrides } };
}

/** The fields of `next` that differ from `base`, as a PATCH body. */
export function policyPatch(base: RealmPolicy, next: RealmPolicy): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const k of Object.keys(next) as Array<keyof RealmPolicy>) {
    if (k === 'userActionLifespanOverrides') {
      const o: Record<string, number | null> = {};
      for (const op of ACTION_TOKEN_OPERATIONS) {
        if (next.userActionLifespanOverrides[op] !== base.userActionLifespanOverrides[op]) o[op] = next.userActionLifespanOverrides[op];
      }
      if (Object.keys(o).length) patch[k] = o;
    } else if (next[k] !== base[k]) patch[k] = next[k];
  }
  return patch;
}

/** Keycloak's advice: an access token should not outlive an idle SSO session. */
export function lifespanExceedsIdle(p: RealmPolicy): boolean {
  return p.accessTokenLifespan > p.ssoSessionIdle;
}
