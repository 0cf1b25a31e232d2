/**
 * Binds an element to the page's shared VigilConnection: re-renders the host when the
 * connection state changes and keeps its topic subscriptions while the host is connected.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Topic } from '../../../shared/protocol.js';
import { VigilConnection, type ConnectionOptions, type TopicListener } from '../lib/connection.js';

export class ConnectionController implements ReactiveController {
  connection: VigilConnection | null = null;
  readonly #host: ReactiveControllerHost;
  #options: ConnectionOptions | null = null;
  #topics: Partial<Record<Topic, TopicListener>> = {};
  #unsubs: Array<() => void> = [];
  #hostConnected = false;
  readonly #onState = () => this.#host.requestUpdate();

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
  }

  get state() {
    return this.connection?.state ?? 'connecting';
  }

  /** Server-corrected time in ms (local time until `hello`). */
  now(): number {
    return this.connection ? this.connection.now() : Date.now();
  }

  /** Opens (or re-targets) the connection with these topic listeners. */
  open(options: ConnectionOptions, topics: Partial<Record<Topic, TopicListener>>): void {
    this.#detach();
    this.#options = options;
    this.#topics = topics;
    if (this.#hostConnected) this.#attach();
  }

  close(): void {
    this.#detach();
    this.#options = null;
  }

  hostConnected(): void {
    this.#hostConnected = true;
    if (this.#options && !this.connection) this.#attach();
  }

  hostDisconnected(): void {
    this.#hostConnected = false;
    this.#detach();
  }

  #attach(): void {
    const c = VigilConnection.shared(this.#options!);
    this.connection = c;
    c.retain();
    c.addEventListener('state', this.#onState);
    c.addEventListener('hello', this.#onState);
    for (const [topic, l] of Object.entries(this.#topics) as Array<[Topic, TopicListener]>) {
      this.#unsubs.push(c.subscribe(topic, l));
    }
    this.#host.requestUpdate();
  }

  #detach(): void {
    for (const u of this.#unsubs) u();
    this.#unsubs = [];
    if (this.connection) {
      this.connection.removeEventListener('state', this.#onState);
      this.connection.removeEventListener('hello', this.#onState);
      this.connection.release();
      this.connection = null;
    }
  }
}
