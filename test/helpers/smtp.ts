/**
 * A real SMTP server on loopback (the `smtp-server` package) that keeps every message it
 * accepts, parsed with `mailparser`, for the mail tests; it can be stopped and started again on
 * the same port to play an outage.
 */
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';

export interface Received {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  /** The action link in the text, if any. */
  link: string | null;
}

export class TestSmtp {
  readonly messages: Received[] = [];
  private server: SMTPServer | null = null;
  private waiters: Array<{ match: (m: Received) => boolean; resolve: (m: Received) => void }> = [];
  port = 0;

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Listens (on `port`, else any free one). */
  async start(port = this.port): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, done) => {
        simpleParser(stream).then((m: ParsedMail) => {
          const to = Array.isArray(m.to) ? m.to[0]!.text : m.to?.text ?? '';
          const text = m.text ?? '';
          const r: Received = { to, from: m.from?.text ?? '', subject: m.subject ?? '', text, html: typeof m.html === 'string' ? m.html : '', link: /https?:\/\/\S+action-token\?key=\S+/.exec(text)?.[0] ?? null };
          this.messages.push(r);
          this.waiters = this.waiters.filter((w) => (w.match(r) ? (w.resolve(r), false) : true));
          done();
        }, done);
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The first message (received or future) to this address. */
  next(to: string, timeoutMs = 20_000, after = 0): Promise<Received> {
    const match = (m: Received) => m.to.toLowerCase().includes(to.toLowerCase());
    const seen = this.messages.slice(after).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no mail to ${to} within ${timeoutMs} ms; got ${JSON.stringify(this.messages.map((m) => m.to))}`)), timeoutMs);
      this.waiters.push({ match: (m) => match(m) && this.messages.indexOf(m) >= after, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  }

  /** Messages to this address so far. */
  to(address: string): Received[] {
    return this.messages.filter((m) => m.to.toLowerCase().includes(address.toLowerCase()));
  }
}

/** A port nothing listens on (yet): taken and given back at once. */
export async function freePort(): Promise<number> {
  const s = await new TestSmtp().start(0);
  const p = s.port;
  await s.stop();
  return p;
}
