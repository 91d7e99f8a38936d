/**
 * docker-compose.yml: every container has a health check, each starts once what it needs is healthy, the
 * Gatehouse processes report ready through /readyz (never the gateway's upstream report at /healthz), each
 * service applies its own migrations at start under the advisory lock (the documented choice for compose),
 * and the containers run hardened like the Kubernetes pods. `docker compose config` checks the file too
 * when Docker Compose is installed; the rules below are checked from the parsed YAML either way.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const COMPOSE_FILE = resolve(root, 'docker-compose.yml');

interface ComposeService {
  build?: unknown;
  image?: string;
  environment?: Record<string, string>;
  healthcheck?: { test: string[]; interval?: string; retries?: number };
  depends_on?: Record<string, { condition: string }> | string[];
  ports?: string[];
  read_only?: boolean;
  tmpfs?: string[];
  cap_drop?: string[];
  security_opt?: string[];
}

// Compose resolves YAML merge keys (`<<: *service`); so does this parser with merge on.
const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;

const PORTS: Record<string, string> = {
  gateway: '8080',
  identity: '4001',
  organization: '4002',
  project: '4003',
  console: '4004',
  audit: '4005',
  billing: '4006',
};
const WITH_DATABASE = ['identity', 'organization', 'project', 'audit', 'billing'];
const DATA_STORES = ['postgres', 'redis', 'nats'];
const READY_CHECK =
  "fetch('http://127.0.0.1:'+process.env.PORT+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))";

const dependencies = (service: ComposeService): Record<string, { condition: string }> => {
  // The list form starts a dependency without waiting for it: not allowed here.
  expect(Array.isArray(service.depends_on)).toBe(false);
  return (service.depends_on ?? {}) as Record<string, { condition: string }>;
};

function composeAvailable(): boolean {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('docker-compose.yml', () => {
  it('runs every Gatehouse process and its data stores, and nothing else', () => {
    expect(Object.keys(services).sort()).toEqual([...Object.keys(PORTS), ...DATA_STORES].sort());
  });

  it('gives every container a health check; a Gatehouse process is healthy when its /readyz answers', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.healthcheck?.test.length, name).toBeGreaterThan(1);
    }
    for (const [name, port] of Object.entries(PORTS)) {
      const service = services[name] as ComposeService;
      // The image has no curl: node's own fetch asks, on the port the process listens on.
      expect(service.healthcheck?.test, name).toEqual(['CMD', 'node', '-e', READY_CHECK]);
      expect(service.environment?.PORT, name).toBe(port);
      if (name === 'gateway') expect(service.environment?.GATEWAY_PORT).toBe(port);
      expect(JSON.stringify(service.healthcheck), name).not.toContain('/healthz');
    }
  });

  it('starts each container once every container it depends on is healthy', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(dependencies(service))) {
        expect(condition, `${name} → ${dependency}`).toBe('service_healthy');
        expect(services[dependency]?.healthcheck, `${name} → ${dependency}`).toBeDefined();
      }
    }
    for (const name of WITH_DATABASE)
      expect(Object.keys(dependencies(services[name] as ComposeService)), name).toEqual(
        expect.arrayContaining(['postgres', 'nats']),
      );
    expect(Object.keys(dependencies(services.gateway as ComposeService))).toEqual(
      expect.arrayContaining(['redis', 'nats']),
    );
    // Compose refuses a cycle; so does this.
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string): void => {
      if (done.has(name)) return;
      expect(visiting.has(name), `dependency cycle through ${name}`).toBe(false);
      visiting.add(name);
      for (const dependency of Object.keys(dependencies(services[name] as ComposeService))) visit(dependency);
      visiting.delete(name);
      done.add(name);
    };
    for (const name of Object.keys(services)) visit(name);
  });

  it('lets each service apply its own migrations at start (the advisory lock makes replicas safe)', () => {
    for (const [name, service] of Object.entries(services)) {
      const hasDatabase = service.environment?.DATABASE_URL !== undefined;
      expect(hasDatabase, name).toBe(WITH_DATABASE.includes(name));
      expect(service.environment?.MIGRATE_ON_START, name).toBe(hasDatabase ? 'true' : undefined);
    }
  });

  it('runs the Gatehouse containers read-only, with a tmpfs /tmp, no capabilities and no privilege escalation', () => {
    for (const name of Object.keys(PORTS)) {
      const service = services[name] as ComposeService;
      expect(service.read_only, name).toBe(true);
      expect(service.tmpfs, name).toContain('/tmp');
      expect(service.cap_drop, name).toEqual(['ALL']);
      expect(service.security_opt, name).toContain('no-new-privileges:true');
      // The file mailer (no SMTP_URL) writes under /tmp, the one writable directory.
      if (service.environment?.SMTP_URL !== undefined)
        expect(service.environment.MAIL_OUTBOX_DIR, name).toBe('/tmp/mail');
    }
  });

  it('publishes only the gateway among the Gatehouse processes', () => {
    const published = Object.keys(PORTS).filter((name) => (services[name]?.ports ?? []).length > 0);
    expect(published).toEqual(['gateway']);
    expect(services.gateway?.ports).toEqual(['8080:8080']);
  });

  it('publishes the data stores on 127.0.0.1 only, never on every interface', () => {
    for (const name of DATA_STORES) {
      const ports = services[name]?.ports ?? [];
      expect(ports.length, name).toBeGreaterThan(0);
      for (const port of ports) expect(port, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
  });

  it.skipIf(!composeAvailable())('is a file `docker compose config` accepts', () => {
    // Every variable the file requires (`${NAME:?…}`), with a placeholder: config only interpolates.
    const required = [...readFileSync(COMPOSE_FILE, 'utf8').matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1] as string);
    const env = { ...process.env, ...Object.fromEntries(required.map((name) => [name, 'placeholder'])) };
    execFileSync('docker', ['compose', '-f', COMPOSE_FILE, 'config', '--quiet'], { env, stdio: 'pipe' });
  });
});
