/** An upstream identity provider as the API shows it, and the rule for its alias: one owner for the server and the dashboard. */
export const ALIAS = /^[a-z0-9][a-z0-9_-]{0,39}$/;
export const ALIAS_RULE = '1 to 40 lowercase letters, digits, _ or -, starting with a letter or digit';

/** As GET /identity-providers answers (the client secret is never in it). */
export interface IdentityProvider {
  alias: string;
  displayName: string;
  issuer: string;
  clientId: string;
  createdAt: string;
}
