/** GET /docs/asyncapi.json: a valid AsyncAPI 3 document of the real-time protocol, built from the constants the server runs on. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Parser } from '@asyncapi/parser';
import { CLIENT_MESSAGE_TYPES, CLOSE, EVENT_NAMES, MAX_FRAME_BYTES, MAIL_EVENT_NAMES, MESSAGES_PER_SECOND, OIDC_EVENT_NAMES, SERVER_MESSAGE_TYPES } from '../../shared/protocol.js';
import { asyncApiDocument } from '../../server/docs/asyncapi.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let doc: any;
let res: Response;

beforeAll(async () => {
  t = await startTestApp();
  res = await fetch(`${t.url}/docs/asyncapi.json`);
  doc = await res.json();
});
afterAll(async () => t?.close());

describe('GET /docs/asyncapi.json', () => {
  it('is served as JSON to anyone, without a credential', () => {
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(doc.asyncapi).toBe('3.0.0');
  });

  it('passes the AsyncAPI parser without errors', async () => {
    const { document, diagnostics } = await new Parser().parse(doc);
    const errors = diagnostics.filter((d) => d.severity === 0);
    expect(errors.map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.channels().all().map((c) => c.address()).sort()).toEqual(['/socket.io/', '/ws']);
  });

  it('describes both transports at the listening address', () => {
    const host = new URL(t.url).host;
    expect(doc.servers.ws).toMatchObject({ host, pathname: '/ws', protocol: 'ws' });
    expect(doc.servers.socketio).toMatchObject({ host, pathname: '/socket.io/', protocol: 'ws' });
  });

  it('names every client and server message, on both channels', () => {
    for (const type of [...CLIENT_MESSAGE_TYPES, ...SERVER_MESSAGE_TYPES]) {
      expect(doc.components.messages[type]?.payload.properties.type.const, type).toBe(type);
      expect(Object.keys(doc.channels.ws.messages)).toContain(type);
      expect(Object.keys(doc.channels.socketio.messages)).toContain(type);
    }
    // Vigil receives what clients send and sends the rest
    for (const type of CLIENT_MESSAGE_TYPES) expect(doc.operations[`wsReceive${type[0]!.toUpperCase()}${type.slice(1)}`].action).toBe('receive');
    for (const type of SERVER_MESSAGE_TYPES) expect(doc.operations[`socketioSend${type[0]!.toUpperCase()}${type.slice(1)}`].action).toBe('send');
    expect(doc.channels.socketio.messages.close).toBeDefined();
    expect(doc.channels.ws.messages.close).toBeUndefined();
  });

  it('documents subscribe with topic, since, filter and detail', () => {
    const props = doc.components.messages.subscribe.payload.properties;
    expect(Object.keys(props)).toEqual(expect.arrayContaining(['topic', 'since', 'filter', 'detail', 'ref']));
    expect(doc.components.messages.hello.payload.required).toContain('expiresAt');
  });

  it('documents every close code', () => {
    for (const [name, code] of Object.entries(CLOSE)) {
      expect(doc['x-vigil-close-codes'][String(code)]?.name, name).toBe(name);
      expect(doc.info.description).toContain(`| ${code} | ${name} |`);
      expect(doc.channels.ws.description).toContain(`| ${code} |`);
    }
    expect(doc.components.messages.close.payload.properties.code.enum.sort()).toEqual(Object.values(CLOSE).sort());
  });

  it('takes its limits from the constants the server enforces', () => {
    expect(doc['x-vigil-limits']).toMatchObject({ maxFrameBytes: MAX_FRAME_BYTES, messagesPerSecond: MESSAGES_PER_SECOND });
    expect(doc.info.description).toContain(`${MAX_FRAME_BYTES / 1024} KiB`);
  });

  it('names every event of the stream, with the envelope', () => {
    const names = Object.keys(doc.components.schemas.EventName['x-vigil-events']);
    for (const n of [...EVENT_NAMES, ...OIDC_EVENT_NAMES, ...MAIL_EVENT_NAMES, 'login.succeeded', 'display_key.revoked', 'user.updated']) expect(names).toContain(n);
    expect(doc.components.schemas.EventName['x-vigil-events']['login.failed'].adminOnly).toBe(true);
    for (const n of MAIL_EVENT_NAMES) expect(doc.components.schemas.EventName['x-vigil-events'][n].adminOnly, n).toBe(true);
    expect(doc.components.schemas.EventName['x-vigil-events']['session.warning'].adminOnly).toBe(false);
    expect(doc.components.schemas.Event.required).toEqual(['id', 'name', 'at', 'realm', 'sessionId', 'session', 'data']);
  });

  it('describes the session exactly as the server sends it, device included', async () => {
    const { session } = await t.login();
    const schema = doc.components.schemas.Session;
    expect(Object.keys(session).sort()).toEqual(Object.keys(schema.properties).sort());
    expect(Object.keys(session.origin).sort()).toEqual(Object.keys(schema.properties.origin.properties).sort());
    expect(Object.keys(session.origin.device).sort()).toEqual(Object.keys(doc.components.schemas.SessionDevice.properties).sort());
  });

  it('takes its hosts from the public URL, wss behind https', () => {
    const d = asyncApiDocument('https://vigil.example.com/base') as any;
    expect(d.servers.ws).toMatchObject({ host: 'vigil.example.com', pathname: '/base/ws', protocol: 'wss' });
    expect(d.channels.socketio.address).toBe('/base/socket.io/');
  });

  it('answers an unknown /docs path with a JSON 404, not the dashboard', async () => {
    const r = await fetch(`${t.url}/docs/nothing-here`);
    expect(r.status).toBe(404);
    expect((await r.json()).code).toBe('VIGIL_ERR_NOT_FOUND');
  });
});
