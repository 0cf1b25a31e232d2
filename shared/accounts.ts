/**
 * What a username and a password may be: for the user store, the route schemas, the
 * bootstrap admin's configuration and the dashboard's forms alike.
 */
export const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;
/** USERNAME in words, after "must be". */
export const USERNAME_RULE = '1 to 64 letters, digits, or . _ @ -';
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
/** An e-mail address, as loosely as mail servers accept them: something@domain.tld, no spaces. */
export const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;
export const EMAIL_MAX = 254;
/** EMAIL in words, after "must be". */
export const EMAIL_RULE = 'an e-mail address like alice@example.com (at most 254 characters)';
