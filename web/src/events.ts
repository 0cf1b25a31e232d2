/**
 * The dashboard's custom events, typed in the global event map, and the one way to fire them
 * (`emit`). Every one bubbles and is composed, so a page can listen for them on any ancestor.
 */
import type { Session } from '../../shared/protocol.js';
import type { EndCode } from './lib/session-end.js';

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
    /** The session guard's session ended; cancel to stay on the page (default: go to sign-in). */
    'vigil-session-end': CustomEvent<{ code: EndCode; message: string | null }>;
    /** The guard's Configure was pressed; cancel to handle it (default: open Token Settings). */
    'vigil-configure': CustomEvent<undefined>;
  }
}

type VigilEventName = Extract<keyof HTMLElementEventMap, `vigil-${string}`>;
type DetailOf<K extends VigilEventName> = HTMLElementEventMap[K] extends CustomEvent<infer D> ? D : never;

/**
 * Fires one of the events above from `el`, bubbling and composed; returns false when a
 * listener cancelled a cancelable one (as dispatchEvent does).
 */
export function emit<K extends VigilEventName>(el: EventTarget, name: K, ...[detail, opts]: undefined extends DetailOf<K> ? [DetailOf<K>?, { cancelable?: boolean }?] : [DetailOf<K>, { cancelable?: boolean }?]): boolean {
  return el.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true, cancelable: opts?.cancelable ?? false }));
}
