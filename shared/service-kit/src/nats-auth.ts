import { readFileSync } from 'node:fs';
import { credsAuthenticator } from 'nats';
import { ConfigError } from './config.js';

/** How a process finds and proves itself to NATS: the NATS_URL, NATS_CREDS and NATS_TOKEN variables. */
export interface NatsAuth {
  /** `nats://host:4222`, `nats://user:password@host:4222` or `nats://token@host:4222`; a comma-separated list for a cluster. */
  url: string;
  /** Path of a `.creds` file (user JWT + nkey seed). */
  creds?: string | undefined;
  token?: string | undefined;
}

export interface NatsConnectionOptions {
  /** The server list without credentials: safe to print. */
  servers: string[];
  name: string;
  /** Replies come back under the process's own inbox, so NATS permissions can keep each to its own. */
  inboxPrefix: string;
  user?: string;
  pass?: string;
  token?: string;
  authenticator?: ReturnType<typeof credsAuthenticator>;
  ignoreAuthErrorAbort: boolean;
}

const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)?([^@/]*)@(.+)$/i;

/**
 * Connection options for one process, from its configuration. nats.js ignores credentials in a
 * server URL, so they are lifted out here (and the URL printed without them). Nothing set: no auth.
 */
export function natsConnectionOptions(auth: NatsAuth, name: string): NatsConnectionOptions {
  const servers: string[] = [];
  const userinfos = new Set<string>();
  for (const entry of auth.url.split(',')) {
    const server = entry.trim();
    if (!server) continue;
    const match = USERINFO.exec(server);
    if (match) userinfos.add(match[2] ?? '');
    servers.push(match ? `${match[1] ?? ''}${match[3]}` : server);
  }
  if (userinfos.size > 1) throw new ConfigError('Configuration error: NATS_URL names different credentials per server');
  const [userinfo] = userinfos;
  const methods = [userinfo, auth.creds, auth.token].filter((method) => method !== undefined && method !== '');
  if (methods.length > 1) {
    throw new ConfigError('Configuration error: set only one of NATS_CREDS, NATS_TOKEN or credentials in NATS_URL');
  }
  // A refused reconnect (a password being rotated) is retried like any other, never given up on.
  const options: NatsConnectionOptions = { servers, name, inboxPrefix: `_INBOX.${name}`, ignoreAuthErrorAbort: true };
  if (userinfo) {
    const colon = userinfo.indexOf(':');
    // `nats://secret@host` is a token, as in every NATS client.
    if (colon === -1) options.token = decodeURIComponent(userinfo);
    else {
      options.user = decodeURIComponent(userinfo.slice(0, colon));
      options.pass = decodeURIComponent(userinfo.slice(colon + 1));
    }
  }
  if (auth.token) options.token = auth.token;
  if (auth.creds) options.authenticator = credsFile(auth.creds);
  return options;
}

/** Read now, so a missing file stops the process at start; read again on every (re)connect, so rotated creds apply. */
function credsFile(path: string): ReturnType<typeof credsAuthenticator> {
  const read = () => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new ConfigError(
        `Configuration error: NATS_CREDS cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
      );
    }
  };
  read();
  return credsAuthenticator(read);
}
