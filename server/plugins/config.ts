/**
 * `vigil-config`: the validated configuration, this process's node id and the public URL, for
 * every other service plugin. The first plugin registered; it depends on nothing.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    /** The process's id among the nodes sharing this Redis. */
    nodeId: string;
    /**
     * The URL users reach Vigil at, without a trailing slash: VIGIL_PUBLIC_URL, else the
     * listening address. Never the request's Host header (an issuer or link taken from it can be
     * pointed anywhere by whoever sends the request).
     */
    publicUrl(): string;
  }
}

/** `http://{host}:{port}` of the listening server (the configured port until it listens). */
function listeningUrl(app: FastifyInstance, config: Config): string {
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export const configPlugin = fp<{ config: Config }>(async (app, { config }) => {
  app.decorate('config', config);
  app.decorate('nodeId', `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`);
  app.decorate('publicUrl', () => config.publicUrl ?? listeningUrl(app, config));
}, { name: 'vigil-config', fastify: '5.x' });
