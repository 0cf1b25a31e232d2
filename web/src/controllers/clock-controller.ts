/**
 * A ticking clock shared by every countdown on the page: one interval, aligned to the
 * second, however many elements use it.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

const hosts = new Set<ReactiveControllerHost>();
let timer: ReturnType<typeof setTimeout> | null = null;

function schedule(): void {
  timer = setTimeout(() => {
    for (const h of hosts) h.requestUpdate();
    schedule();
  }, 1000 - (Date.now() % 1000) + 5);
}

export class ClockController implements ReactiveController {
  readonly #host: ReactiveControllerHost;

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
  }

  hostConnected(): void {
    hosts.add(this.#host);
    if (!timer) schedule();
  }

  hostDisconnected(): void {
    hosts.delete(this.#host);
    if (hosts.size === 0 && timer) {
      clearTimeout(timer);
      timer = null;
    }
  }
}
