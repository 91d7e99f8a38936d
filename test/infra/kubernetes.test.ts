/**
 * infra/k8s: both overlays render with `kubectl kustomize`, every object is valid against the Kubernetes
 * schemas (kubernetes-models), and the platform's conventions hold (docs/deploy.md): probes on /livez and
 * /readyz (never the gateway's upstream report at /healthz), the restricted security context, resources,
 * an autoscaler and a disruption budget per Deployment, secrets only from Secrets, one migration Job per
 * service with a database, and network policies that admit exactly what is documented.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  admits,
  allowsEgress,
  type Container,
  type EnvVar,
  type K8sObject,
  kubectlAvailable,
  matches,
  type NetworkPolicy,
  OVERLAYS,
  type Overlay,
  render,
  schemaError,
  type Workload,
} from './kubernetes-objects.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every Gatehouse process and its port; the services with a database get a migration Job each. */
const PORTS: Record<string, number> = {
  gateway: 8080,
  identity: 4001,
  organization: 4002,
  project: 4003,
  console: 4004,
  audit: 4005,
  billing: 4006,
};
const SERVICES_WITH_DATABASE = ['identity', 'organization', 'project', 'audit', 'billing'];
/** Variables that carry a secret or a credential-bearing URL: never a literal value in a manifest. */
const SECRET_NAME = /KEY|SECRET|PASSWORD|TOKEN|CERTIFICATE|DATABASE_URL|NATS_URL|REDIS_URL|SMTP_URL/;

const rendered = kubectlAvailable()
  ? Object.fromEntries(OVERLAYS.map((overlay) => [overlay, render(root, overlay)]))
  : undefined;

function objects(overlay: Overlay): K8sObject[] {
  if (!rendered) throw new Error('kubectl is not available');
  return rendered[overlay] as K8sObject[];
}
const ofKind = <T extends K8sObject = K8sObject>(overlay: Overlay, kind: string) =>
  objects(overlay).filter((object) => object.kind === kind) as T[];
const isGatehouse = (object: K8sObject) => object.metadata.labels?.['app.kubernetes.io/part-of'] === 'gatehouse';
const deployments = (overlay: Overlay) => ofKind<Workload>(overlay, 'Deployment').filter(isGatehouse);
const jobs = (overlay: Overlay) => ofKind<Workload>(overlay, 'Job').filter(isGatehouse);
const onlyContainer = (workload: Workload): Container => {
  expect(workload.spec.template.spec.containers, workload.metadata.name).toHaveLength(1);
  return workload.spec.template.spec.containers[0] as Container;
};
const envOf = (container: Container, name: string): EnvVar | undefined =>
  container.env?.find((variable) => variable.name === name);
const workload = (overlay: Overlay, name: string): Workload => {
  const found = objects(overlay).find(
    (object) => ['Deployment', 'StatefulSet'].includes(object.kind) && object.metadata.name === name,
  );
  if (!found) throw new Error(`no workload ${name} in ${overlay}`);
  return found as Workload;
};
const podOf = (overlay: Overlay, name: string) => ({ labels: workload(overlay, name).spec.template.metadata.labels });
/** The shared ConfigMap (the one holding the gateway's settings), as rendered. */
const sharedConfig = (overlay: Overlay) =>
  ofKind(overlay, 'ConfigMap').find((c) => c.data !== undefined && 'CONSOLE_URL' in c.data)?.data as Record<
    string,
    string
  >;
/** Pods of other namespaces, as a NetworkPolicy sees them (every namespace carries its name label). */
const elsewhere = (namespace: string, labels: Record<string, string> = { app: namespace }) => ({
  labels,
  namespace: { 'kubernetes.io/metadata.name': namespace },
});
const INGRESS_CONTROLLER = elsewhere('ingress-nginx', { 'app.kubernetes.io/name': 'ingress-nginx' });
const PROMETHEUS = elsewhere('monitoring', { 'app.kubernetes.io/name': 'prometheus' });
const KUBE_DNS = elsewhere('kube-system', { 'k8s-app': 'kube-dns' });
const METRICS_PORT = 9090;
/** The ranges a call out of the cluster must never reach (pods, nodes, cloud metadata). */
const PRIVATE_ADDRESSES = ['10.1.2.3', '172.20.0.5', '192.168.1.10', '169.254.169.254'];
const PUBLIC_ADDRESS = { ip: '140.82.112.3' };

describe.skipIf(!rendered)('Kubernetes manifests (kubectl kustomize infra/k8s/overlays/*)', () => {
  describe.each(OVERLAYS)('overlay %s', (overlay) => {
    it('renders objects that are all valid against the Kubernetes schemas', async () => {
      const all = objects(overlay);
      expect(all.length).toBeGreaterThan(30);
      const errors = (
        await Promise.all(
          all.map(async (object) => {
            const error = await schemaError(object);
            return error ? `${object.kind}/${object.metadata.name}: ${error}` : undefined;
          }),
        )
      ).filter(Boolean);
      expect(errors).toEqual([]);
      for (const object of all.filter((o) => o.kind !== 'Namespace'))
        expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe('gatehouse');
    });

    it('runs every process as a Deployment with a Service on its named http port', () => {
      expect(
        deployments(overlay)
          .map((d) => d.metadata.name)
          .sort(),
      ).toEqual(Object.keys(PORTS).sort());
      for (const deployment of deployments(overlay)) {
        const name = deployment.metadata.name;
        const container = onlyContainer(deployment);
        expect(container.ports, name).toEqual(
          name === 'gateway'
            ? [
                { name: 'http', containerPort: PORTS[name] },
                { name: 'metrics', containerPort: METRICS_PORT },
              ]
            : [{ name: 'http', containerPort: PORTS[name] }],
        );
        expect(envOf(container, name === 'gateway' ? 'GATEWAY_PORT' : 'PORT')?.value, name).toBe(String(PORTS[name]));
        expect(envOf(container, 'SERVICE')?.value, name).toBe(name);
        // The HorizontalPodAutoscaler owns the count.
        expect(deployment.spec.replicas, name).toBeUndefined();
        expect(matches(deployment.spec.selector ?? {}, deployment.spec.template.metadata.labels), name).toBe(true);
        const services = ofKind(overlay, 'Service').filter((s) =>
          matches({ matchLabels: s.spec.selector }, deployment.spec.template.metadata.labels),
        );
        expect(
          services.map((s) => s.metadata.name),
          name,
        ).toEqual([name]);
        // The Service has the http port only: the Ingress routes every path of it (the gateway's metrics port is never one).
        expect(
          services[0]?.spec.ports.map((p: { targetPort: string }) => p.targetPort),
          name,
        ).toEqual(['http']);
      }
    });

    it('probes /livez (startup, liveness) and /readyz (readiness), never /healthz', () => {
      for (const deployment of deployments(overlay)) {
        const name = deployment.metadata.name;
        const { startupProbe, livenessProbe, readinessProbe } = onlyContainer(deployment);
        expect(startupProbe?.httpGet, name).toEqual({ path: '/livez', port: 'http' });
        expect(livenessProbe?.httpGet, name).toEqual({ path: '/livez', port: 'http' });
        expect(readinessProbe?.httpGet, name).toEqual({ path: '/readyz', port: 'http' });
        // Generous: a process waiting for its dependencies (or its migrations) answers /livez anyway; this only catches a hang.
        expect(
          (startupProbe?.periodSeconds ?? 10) * (startupProbe?.failureThreshold ?? 3),
          name,
        ).toBeGreaterThanOrEqual(120);
      }
      const everyProbePath = [...deployments(overlay), ...jobs(overlay)].flatMap((w) =>
        w.spec.template.spec.containers.flatMap((c) =>
          [c.startupProbe, c.livenessProbe, c.readinessProbe].map((p) => p?.httpGet?.path),
        ),
      );
      expect(everyProbePath).not.toContain('/healthz');
    });

    it('runs every Gatehouse container non-root, read-only, without privileges, with a /tmp emptyDir', () => {
      for (const workload of [...deployments(overlay), ...jobs(overlay)]) {
        const name = `${workload.kind}/${workload.metadata.name}`;
        const pod = workload.spec.template.spec;
        const container = onlyContainer(workload);
        expect(pod.securityContext, name).toMatchObject({
          runAsNonRoot: true,
          runAsUser: 1000,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(container.securityContext, name).toEqual({
          runAsNonRoot: true,
          runAsUser: 1000,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(pod.automountServiceAccountToken, name).toBe(false);
        const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
        expect(pod.volumes?.find((volume) => volume.name === tmp?.name)?.emptyDir, name).toBeDefined();
        expect(container.resources?.requests, name).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
        expect(container.resources?.limits, name).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
      }
    });

    it('gives every Deployment a CPU autoscaler, a disruption budget and a spread over nodes and zones', () => {
      const autoscalers = ofKind(overlay, 'HorizontalPodAutoscaler');
      const budgets = ofKind(overlay, 'PodDisruptionBudget');
      for (const deployment of deployments(overlay)) {
        const name = deployment.metadata.name;
        const labels = deployment.spec.template.metadata.labels;
        const hpa = autoscalers.filter(
          (a) => a.spec.scaleTargetRef.kind === 'Deployment' && a.spec.scaleTargetRef.name === name,
        );
        expect(
          hpa.map((a) => a.apiVersion),
          name,
        ).toEqual(['autoscaling/v2']);
        expect(hpa[0]?.spec.metrics, name).toContainEqual({
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } },
        });
        expect(hpa[0]?.spec.minReplicas, name).toBeGreaterThanOrEqual(overlay === 'production' ? 2 : 1);
        expect(hpa[0]?.spec.maxReplicas, name).toBeGreaterThan(hpa[0]?.spec.minReplicas);
        const pdb = budgets.filter((b) => matches(b.spec.selector, labels));
        expect(
          pdb.map((b) => b.metadata.name),
          name,
        ).toEqual([name]);
        expect(pdb[0]?.spec.maxUnavailable ?? pdb[0]?.spec.minAvailable, name).toBeDefined();
        const spread = deployment.spec.template.spec.topologySpreadConstraints ?? [];
        expect(spread.map((c) => c.topologyKey).sort(), name).toEqual([
          'kubernetes.io/hostname',
          'topology.kubernetes.io/zone',
        ]);
        for (const constraint of spread) expect(matches(constraint.labelSelector, labels), name).toBe(true);
      }
    });

    it('takes configuration from the ConfigMap and every secret from a Secret', () => {
      const configMaps = new Set(ofKind(overlay, 'ConfigMap').map((c) => c.metadata.name));
      for (const workload of [...deployments(overlay), ...jobs(overlay)]) {
        const container = onlyContainer(workload);
        const name = workload.metadata.name;
        const fromConfigMaps = (container.envFrom ?? []).map((source) => source.configMapRef?.name);
        // A Job's template is immutable: the hashed ConfigMap would change it with any setting (see the Job test).
        if (workload.kind === 'Deployment') expect(fromConfigMaps.length, name).toBeGreaterThan(0);
        for (const configMap of fromConfigMaps) expect(configMaps.has(configMap as string), name).toBe(true);
        for (const variable of container.env ?? []) {
          if (SECRET_NAME.test(variable.name))
            expect(variable.valueFrom?.secretKeyRef, `${name} ${variable.name}`).toBeDefined();
        }
      }
    });

    it('runs one migration Job per service with a database, and no Deployment migrates at start', () => {
      const withDatabase = deployments(overlay).filter((d) => envOf(onlyContainer(d), 'DATABASE_URL'));
      expect(withDatabase.map((d) => d.metadata.name).sort()).toEqual([...SERVICES_WITH_DATABASE].sort());
      expect(
        jobs(overlay)
          .map((j) => j.metadata.labels?.['gatehouse.dev/service'])
          .sort(),
      ).toEqual([...SERVICES_WITH_DATABASE].sort());
      for (const deployment of withDatabase) {
        const name = deployment.metadata.name;
        const container = onlyContainer(deployment);
        expect(envOf(container, 'MIGRATE_ON_START')?.value, name).toBe('false');
        const job = jobs(overlay).find((j) => j.metadata.labels?.['gatehouse.dev/service'] === name) as Workload;
        const migrate = onlyContainer(job);
        expect(job.spec.template.spec, name).toMatchObject({ restartPolicy: 'Never' });
        expect(migrate.command, name).toEqual(['node', `services/${name}/dist/src/migrate.js`]);
        // The release's image, and the same database as the service.
        expect(migrate.image, name).toBe(container.image);
        expect(envOf(migrate, 'DATABASE_URL'), name).toEqual(envOf(container, 'DATABASE_URL'));
        // Only what migrate reads, and nothing generated: a config change must not alter the immutable template.
        expect(migrate.envFrom, name).toBeUndefined();
        expect(migrate.env?.map((v) => v.name).sort(), name).toEqual(['DATABASE_URL', 'LOG_LEVEL']);
        // (The local overlay generates its Secrets, so their names carry a hash too.)
        expect(envOf(migrate, 'DATABASE_URL')?.valueFrom?.secretKeyRef?.name, name).toMatch(
          new RegExp(`^gatehouse-${name}(-[a-z0-9]{10})?$`),
        );
        expect(envOf(migrate, 'LOG_LEVEL'), name).toEqual({ name: 'LOG_LEVEL', value: 'info' });
      }
      for (const deployment of deployments(overlay).filter((d) => !withDatabase.includes(d)))
        expect(envOf(onlyContainer(deployment), 'MIGRATE_ON_START'), deployment.metadata.name).toBeUndefined();
    });

    it('runs one image for every process, pinned to a tag', () => {
      const images = new Set([...deployments(overlay), ...jobs(overlay)].map((w) => onlyContainer(w).image));
      expect(images.size).toBe(1);
      const [image] = [...images] as [string];
      expect(image).toMatch(/:[\w.-]+$/);
      expect(image).not.toMatch(/:latest$/);
    });

    it('lets only the ingress controller reach the gateway, and the services only from the gateway', () => {
      const policies = ofKind<NetworkPolicy>(overlay, 'NetworkPolicy');
      const gateway = workload(overlay, 'gateway');
      const port = PORTS.gateway as number;
      expect(admits(policies, INGRESS_CONTROLLER, gateway, port)).toBe(true);
      // Anyone else could send a forged X-Forwarded-For: the internet directly, another namespace, a pod of this one.
      expect(admits(policies, 'outside', gateway, port)).toBe(false);
      expect(admits(policies, elsewhere('default'), gateway, port)).toBe(false);
      expect(admits(policies, podOf(overlay, 'identity'), gateway, port)).toBe(false);
      // Isolated: the namespace's default denies what no rule admits.
      expect(admits(policies, INGRESS_CONTROLLER, gateway, 9999)).toBe(false);
      const upstreams = Object.keys(PORTS).filter((name) => name !== 'gateway');
      for (const name of upstreams) {
        const target = workload(overlay, name);
        const port = PORTS[name] as number;
        expect(admits(policies, 'outside', target, port), `outside → ${name}`).toBe(false);
        expect(admits(policies, INGRESS_CONTROLLER, target, port), `ingress controller → ${name}`).toBe(false);
        expect(admits(policies, podOf(overlay, 'gateway'), target, port), `gateway → ${name}`).toBe(true);
        // No service calls another over HTTP (they talk over NATS), so none may.
        for (const other of upstreams.filter((o) => o !== name))
          expect(admits(policies, podOf(overlay, other), target, port), `${other} → ${name}`).toBe(false);
      }
      // A migration Job needs PostgreSQL only; it reaches no service.
      const migration = { labels: jobs(overlay)[0]?.spec.template.metadata.labels ?? {} };
      expect(admits(policies, migration, workload(overlay, 'identity'), PORTS.identity as number)).toBe(false);
    });

    it('serves the gateway /metrics on its own port, to the monitoring namespace only', () => {
      const gateway = workload(overlay, 'gateway');
      const container = onlyContainer(gateway);
      expect(envOf(container, 'METRICS_PORT')?.value).toBe(String(METRICS_PORT));
      expect(gateway.spec.template.metadata).toMatchObject({
        annotations: {
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': String(METRICS_PORT),
          'prometheus.io/path': '/metrics',
        },
      });
      const policies = ofKind<NetworkPolicy>(overlay, 'NetworkPolicy');
      expect(admits(policies, PROMETHEUS, gateway, METRICS_PORT)).toBe(true);
      expect(admits(policies, PROMETHEUS, gateway, PORTS.gateway as number)).toBe(false);
      for (const source of [INGRESS_CONTROLLER, 'outside' as const, podOf(overlay, 'identity'), elsewhere('default')])
        expect(admits(policies, source, gateway, METRICS_PORT), JSON.stringify(source)).toBe(false);
      // No Service reaches the metrics port, by number or by name.
      const gatewayServices = ofKind(overlay, 'Service').filter((s) =>
        matches({ matchLabels: s.spec.selector }, gateway.spec.template.metadata.labels),
      );
      expect(gatewayServices.length).toBeGreaterThan(0);
      for (const service of gatewayServices)
        for (const p of service.spec.ports as Array<{ port: number; targetPort: string | number }>)
          expect([p.port, p.targetPort], service.metadata.name).not.toContainEqual(
            expect.toSatisfy((v) => v === METRICS_PORT || v === 'metrics'),
          );
    });

    it('believes no X-Forwarded-For by default and leaves the per-address connection cap to the ingress', () => {
      const config = sharedConfig(overlay);
      expect(config.TRUSTED_PROXIES).toBe('');
      expect(config.MAX_CONNECTIONS_PER_IP).toBe('0');
    });

    it('lets every Gatehouse pod connect out only to what its code uses', () => {
      const policies = ofKind<NetworkPolicy>(overlay, 'NetworkPolicy');
      const out = (name: string, to: Parameters<typeof allowsEgress>[2], port: number, protocol?: 'TCP' | 'UDP') =>
        allowsEgress(policies, podOf(overlay, name).labels, to, port, protocol);
      const migration = jobs(overlay)[0]?.spec.template.metadata.labels ?? {};
      const dataStore = (name: string) => ({ labels: { 'app.kubernetes.io/name': name } });
      const everyone = [...Object.keys(PORTS)];
      // DNS for all, nothing on other ports to the cluster DNS, nothing to an arbitrary public address.
      for (const name of everyone) {
        expect(out(name, KUBE_DNS, 53, 'UDP'), `${name} → DNS`).toBe(true);
        expect(out(name, KUBE_DNS, 53, 'TCP'), `${name} → DNS/TCP`).toBe(true);
        expect(out(name, KUBE_DNS, 8080), `${name} → kube-system 8080`).toBe(false);
        expect(out(name, PUBLIC_ADDRESS, 80), `${name} → internet:80`).toBe(false);
        expect(out(name, PUBLIC_ADDRESS, 22), `${name} → internet:22`).toBe(false);
      }
      expect(allowsEgress(policies, migration, KUBE_DNS, 53, 'UDP')).toBe(true);
      // The gateway: NATS, Redis, its upstreams; no database, no internet.
      expect(out('gateway', dataStore('nats'), 4222)).toBe(true);
      expect(out('gateway', dataStore('redis'), 6379)).toBe(true);
      expect(out('gateway', dataStore('postgres'), 5432)).toBe(false);
      expect(out('gateway', PUBLIC_ADDRESS, 443)).toBe(false);
      for (const name of everyone.filter((n) => n !== 'gateway'))
        expect(out('gateway', workload(overlay, name), PORTS[name] as number), `gateway → ${name}`).toBe(true);
      // The console: DNS only.
      for (const [to, port] of [
        [dataStore('nats'), 4222],
        [dataStore('postgres'), 5432],
        [dataStore('redis'), 6379],
        [PUBLIC_ADDRESS, 443],
      ] as const)
        expect(out('console', to, port), `console → ${port}`).toBe(false);
      // Every service: NATS and PostgreSQL, no Redis, no other service.
      for (const name of SERVICES_WITH_DATABASE) {
        expect(out(name, dataStore('nats'), 4222), `${name} → NATS`).toBe(true);
        expect(out(name, dataStore('postgres'), 5432), `${name} → PostgreSQL`).toBe(true);
        expect(out(name, dataStore('redis'), 6379), `${name} → Redis`).toBe(false);
        expect(out(name, workload(overlay, 'gateway'), PORTS.gateway as number), `${name} → gateway`).toBe(false);
      }
      // Out of the cluster: public addresses only, on HTTPS and SMTP submission, for the processes that call out.
      const callsOut: Record<string, number[]> = {
        identity: [443, 465, 587],
        audit: [443, 465, 587],
        billing: [443, 465, 587],
        organization: [465, 587],
        project: [],
        gateway: [],
        console: [],
      };
      for (const [name, ports] of Object.entries(callsOut)) {
        for (const port of [443, 465, 587]) {
          expect(out(name, PUBLIC_ADDRESS, port), `${name} → internet:${port}`).toBe(ports.includes(port));
          for (const ip of PRIVATE_ADDRESSES) expect(out(name, { ip }, port), `${name} → ${ip}:${port}`).toBe(false);
        }
      }
      // A migration Job: PostgreSQL, nothing else.
      expect(allowsEgress(policies, migration, dataStore('postgres'), 5432)).toBe(true);
      expect(allowsEgress(policies, migration, dataStore('nats'), 4222)).toBe(false);
      expect(allowsEgress(policies, migration, PUBLIC_ADDRESS, 443)).toBe(false);
    });
  });

  describe('overlay production', () => {
    it('holds no Secret and no data store: connection settings come from the Secrets docs/deploy.md lists', () => {
      expect(ofKind('production', 'Secret')).toEqual([]);
      expect(ofKind('production', 'StatefulSet')).toEqual([]);
      const deploy = readFileSync(resolve(root, 'docs/deploy.md'), 'utf8');
      const references = [...deployments('production'), ...jobs('production')].flatMap((w) =>
        (onlyContainer(w).env ?? []).flatMap((v) => (v.valueFrom?.secretKeyRef ? [v.valueFrom.secretKeyRef] : [])),
      );
      expect(references.length).toBeGreaterThan(20);
      for (const { name, key } of references) {
        expect(deploy, `docs/deploy.md names the Secret ${name}`).toContain(name);
        expect(deploy, `docs/deploy.md names ${key}`).toContain(key);
      }
      // The client-address and per-client-limit settings are documented where an operator edits them.
      const overlayFile = readFileSync(resolve(root, 'infra/k8s/overlays/production/kustomization.yaml'), 'utf8');
      expect(overlayFile).toMatch(/TRUSTED_PROXIES=[\d./]+/);
      expect(overlayFile).toMatch(/ingress controller's pod\s*#?\s*CIDR/);
      expect(deploy).toContain('MAX_CONNECTIONS_PER_IP=0');
      expect(deploy).toContain('nginx.ingress.kubernetes.io/limit-connections');
      expect(deploy).toContain('ingress-nginx');
      const ingress = ofKind('production', 'Ingress');
      expect(ingress.flatMap((i) => i.spec.rules.flatMap((r: { http: { paths: unknown[] } }) => r.http.paths))).toEqual(
        [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'gateway', port: { name: 'http' } } } }],
      );
    });
  });

  describe('overlay local', () => {
    it('generates every Secret key a container needs', () => {
      const secrets = new Map(ofKind('local', 'Secret').map((s) => [s.metadata.name, Object.keys(s.data ?? {})]));
      const workloads = objects('local').filter((o) =>
        ['Deployment', 'StatefulSet', 'Job'].includes(o.kind),
      ) as Workload[];
      for (const w of workloads) {
        for (const container of w.spec.template.spec.containers) {
          for (const variable of container.env ?? []) {
            const ref = variable.valueFrom?.secretKeyRef;
            if (!ref || ref.optional) continue;
            expect(secrets.get(ref.name), `${w.metadata.name} ${variable.name} → ${ref.name}`).toContain(ref.key);
          }
          for (const source of container.envFrom ?? [])
            if (source.secretRef) expect(secrets.has(source.secretRef.name), w.metadata.name).toBe(true);
        }
      }
    });

    it('runs NATS with the shipped nats-server.conf', () => {
      const copy = readFileSync(resolve(root, 'infra/k8s/overlays/local/nats-server.conf'), 'utf8');
      expect(copy).toBe(readFileSync(resolve(root, 'infra/nats/nats-server.conf'), 'utf8'));
      const config = ofKind('local', 'ConfigMap').find((c) => c.metadata.name.startsWith('gatehouse-nats-'));
      expect(config?.data?.['nats-server.conf']).toBe(copy);
    });

    it('lets the data stores answer only the Gatehouse processes that use them', () => {
      const policies = ofKind<NetworkPolicy>('local', 'NetworkPolicy');
      const services = SERVICES_WITH_DATABASE.map((name) => podOf('local', name));
      const migration = { labels: jobs('local')[0]?.spec.template.metadata.labels ?? {} };
      const [gateway, consolePod] = [podOf('local', 'gateway'), podOf('local', 'console')];
      const [nats, postgres, redis] = ['nats', 'postgres', 'redis'].map((name) => workload('local', name)) as [
        Workload,
        Workload,
        Workload,
      ];
      const stores: Array<[Workload, number]> = [
        [nats, 4222],
        [postgres, 5432],
        [redis, 6379],
      ];
      for (const [store, port] of stores) {
        expect(onlyContainer(store).ports?.[0]?.containerPort, store.metadata.name).toBe(port);
        expect(admits(policies, 'outside', store, port), `outside → ${store.metadata.name}`).toBe(false);
        expect(admits(policies, consolePod, store, port), `console → ${store.metadata.name}`).toBe(false);
      }
      for (const service of services) {
        expect(admits(policies, service, nats, 4222)).toBe(true);
        expect(admits(policies, service, postgres, 5432)).toBe(true);
        expect(admits(policies, service, redis, 6379)).toBe(false);
      }
      expect(admits(policies, migration, postgres, 5432)).toBe(true);
      expect(admits(policies, migration, nats, 4222)).toBe(false);
      expect(admits(policies, gateway, nats, 4222)).toBe(true);
      expect(admits(policies, gateway, redis, 6379)).toBe(true);
      expect(admits(policies, gateway, postgres, 5432)).toBe(false);
      // …and the Gatehouse pods' egress policies let each reach the stores it uses.
      const out = (source: { labels: Record<string, string> }, store: Workload, port: number) =>
        allowsEgress(policies, source.labels, store, port);
      for (const service of services) {
        expect(out(service, nats, 4222)).toBe(true);
        expect(out(service, postgres, 5432)).toBe(true);
      }
      expect(out(migration, postgres, 5432)).toBe(true);
      expect(out(gateway, nats, 4222)).toBe(true);
      expect(out(gateway, redis, 6379)).toBe(true);
    });
  });
});

/** The evaluator the network assertions above rely on, against policies whose answers are known. */
describe('NetworkPolicy evaluation', () => {
  const pod = (name: string, port: number): Workload => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name, image: 'i', ports: [{ name: 'http', containerPort: port }] }] },
      },
    },
  });
  const policy = (spec: NetworkPolicy['spec']): NetworkPolicy => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'p' },
    spec,
  });
  const api = pod('api', 4000);
  const client = { labels: { app: 'client' } };

  it('admits everything to a pod no policy selects, nothing to one a rule-less policy selects', () => {
    expect(admits([], 'outside', api, 4000)).toBe(true);
    expect(admits([policy({ podSelector: {}, policyTypes: ['Ingress'] })], client, api, 4000)).toBe(false);
  });

  const clientOnly = () =>
    policy({
      podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['api'] }] },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 'http' }] }],
    });

  it('matches peers by labels, named ports by the target container, and an empty from as anyone', () => {
    const fromClient = clientOnly();
    expect(admits([fromClient], client, api, 4000)).toBe(true);
    expect(admits([fromClient], client, api, 4001)).toBe(false);
    expect(admits([fromClient], { labels: { app: 'other' } }, api, 4000)).toBe(false);
    expect(admits([fromClient], 'outside', api, 4000)).toBe(false);
    const fromAnyone = policy({ podSelector: { matchLabels: { app: 'api' } }, ingress: [{ ports: [{ port: 4000 }] }] });
    expect(admits([fromClient, fromAnyone], 'outside', api, 4000)).toBe(true);
  });

  it('matches a namespaceSelector against the source namespace only, and ipBlocks against addresses', () => {
    const fromIngress = policy({
      podSelector: {},
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress' } } }] }],
    });
    const inIngress = { labels: { app: 'x' }, namespace: { 'kubernetes.io/metadata.name': 'ingress' } };
    expect(admits([fromIngress], inIngress, api, 4000)).toBe(true);
    expect(
      admits([fromIngress], { ...inIngress, namespace: { 'kubernetes.io/metadata.name': 'other' } }, api, 4000),
    ).toBe(false);
    expect(admits([fromIngress], client, api, 4000)).toBe(false);
    expect(admits([fromIngress], 'outside', api, 4000)).toBe(false);
    // A pod selector alone means the policy's own namespace, never another.
    expect(
      admits([clientOnly()], { ...client, namespace: { 'kubernetes.io/metadata.name': 'other' } }, api, 4000),
    ).toBe(false);
  });

  it('allows egress by destination, port and protocol; a pod no Egress policy selects goes anywhere', () => {
    const internet = policy({
      podSelector: { matchLabels: { app: 'client' } },
      policyTypes: ['Egress'],
      egress: [
        { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }], ports: [{ port: 443 }] },
        { to: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 'http' }] },
        { ports: [{ protocol: 'UDP', port: 53 }] },
      ],
    });
    expect(allowsEgress([internet], client.labels, { ip: '140.82.112.3' }, 443)).toBe(true);
    expect(allowsEgress([internet], client.labels, { ip: '10.9.8.7' }, 443)).toBe(false);
    expect(allowsEgress([internet], client.labels, { ip: '140.82.112.3' }, 80)).toBe(false);
    expect(allowsEgress([internet], client.labels, api, 4000)).toBe(true);
    expect(allowsEgress([internet], client.labels, api, 4001)).toBe(false);
    expect(allowsEgress([internet], client.labels, { ip: '1.1.1.1' }, 53, 'UDP')).toBe(true);
    expect(allowsEgress([internet], client.labels, { ip: '1.1.1.1' }, 53, 'TCP')).toBe(false);
    expect(allowsEgress([internet], { app: 'other' }, { ip: '10.9.8.7' }, 22)).toBe(true);
  });
});
