/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com), made by the specification's
 * own library: `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the
 * base64 part of the `whsec_…` secret. Receivers verify with the same package in any language.
 */
import { Webhook } from 'standardwebhooks';

export function signDelivery(secret: string, messageId: string, at: Date, body: string): Record<string, string> {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(messageId, at, body),
  };
}
