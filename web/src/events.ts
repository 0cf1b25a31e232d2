/**
 * The dashboard's custom events, typed in the global event map. Every one bubbles and is
 * composed, so a page can listen for them on any ancestor.
 */
import type { Session } from '../../shared/protocol.js';

declare global {
  interface HTMLElementEventMap {
    /** A page asks the shell to show another route. */
    'vigil-navigate': CustomEvent<{ path: string }>;
    /** A dialog asks its owner to close it (Escape, ×, Cancel). */
    'vigil-close': CustomEvent<{ reason?: string } | undefined>;
    /** A confirmation dialog was confirmed (after its checkbox). */
    'vigil-confirm': CustomEvent<undefined>;
    /** The sign-in form signed a user in. */
    'vigil-signed-in': CustomEvent<{ realm: string; session: Session }>;
    /** Token Settings saved a new token lifetime. */
    'vigil-token-lifetime': CustomEvent<{ tokenLifetime: number }>;
    /** A duration input changed; `seconds` is null while the text is not a valid duration. */
    'vigil-change': CustomEvent<{ seconds: number | null }>;
  }
}

export {};
