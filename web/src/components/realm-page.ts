/**
 * The base of an admin page about one realm (display keys, users, realm settings): the
 * `realm` property, a REST client for it, and `load()` each time the page is connected.
 */
import { LitElement } from 'lit';
import { property } from 'lit/decorators.js';
import { VigilApi } from '../lib/api.js';

export abstract class RealmPage extends LitElement {
  /** The realm. */
  @property({ type: String }) realm = 'default';

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  protected get api(): VigilApi {
    return new VigilApi({ realm: this.realm });
  }

  /** Fetches what the page shows. */
  protected abstract load(): Promise<void>;
}
