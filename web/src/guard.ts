/** Entry of `/vigil-guard.js`: the self-contained session guard for any app page. */
export { VigilSessionGuard } from './components/vigil-session-guard.js';
