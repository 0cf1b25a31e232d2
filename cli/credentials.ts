/**
 * Tokens saved by `vigil login`, keyed by server URL and realm, in the user's config directory
 * (`$VIGIL_CONFIG_DIR`, else `$XDG_CONFIG_HOME/vigil`, else `~/.config/vigil`): the directory
 * 0700 and the file 0600, since a token is as good as a password until it idles out.
 */
import { mkdirSync, readFileSync, writeFileSync, renameSync, chmodSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface SavedCredential {
  token: string;
  username: string;
  sessionId: string;
  savedAt: string;
}

type CredentialFile = Record<string, SavedCredential>;

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VIGIL_CONFIG_DIR) return env.VIGIL_CONFIG_DIR;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'vigil');
}

export const credentialsPath = (env: NodeJS.ProcessEnv = process.env) => join(configDir(env), 'credentials.json');

export const credentialKey = (url: string, realm: string) => `${url.replace(/\/+$/, '')}#${realm}`;

function readAll(): CredentialFile {
  try {
    const parsed = JSON.parse(readFileSync(credentialsPath(), 'utf8'));
    return parsed && typeof parsed === 'object' ? parsed : {};
  } catch {
    return {};
  }
}

export function loadCredential(url: string, realm: string): SavedCredential | undefined {
  return readAll()[credentialKey(url, realm)];
}

export function saveCredential(url: string, realm: string, cred: SavedCredential): string {
  const dir = configDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const all = readAll();
  all[credentialKey(url, realm)] = cred;
  const file = credentialsPath();
  const tmp = `${file}.${process.pid}.tmp`;
  // written whole under another name and renamed, so a crash never leaves half a file
  writeFileSync(tmp, JSON.stringify(all, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}
