/**
 * The rendered Kubernetes manifests (`kubectl kustomize`), the parts of their objects the infrastructure
 * tests read, schema validation with kubernetes-models, and the label-selector and NetworkPolicy
 * semantics (what the API server and a CNI would decide), so a test can ask "may A open a connection to B".
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
  exec?: { command: string[] };
  periodSeconds?: number;
  failureThreshold?: number;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: unknown };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  securityContext?: SecurityContext;
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[] };
  seccompProfile?: { type: string };
}

export interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: {
    containers: Container[];
    securityContext?: SecurityContext;
    volumes?: Array<{ name: string; emptyDir?: object }>;
    topologySpreadConstraints?: Array<{ topologyKey: string; labelSelector: LabelSelector }>;
    automountServiceAccountToken?: boolean;
  };
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

export interface NetworkPolicyPort {
  port?: string | number;
  protocol?: string;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: each kind has its own spec; the typed views below narrow it.
  spec?: any;
  data?: Record<string, string>;
}

export interface Workload extends K8sObject {
  spec: { replicas?: number; selector?: LabelSelector; template: PodTemplate };
}

export interface NetworkPolicy extends K8sObject {
  spec: {
    podSelector: LabelSelector;
    policyTypes?: string[];
    ingress?: Array<{ from?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }>;
    egress?: Array<{ to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }>;
  };
}

export const OVERLAYS = ['local', 'production'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** `kubectl kustomize` works offline; without kubectl the Kubernetes suite is skipped (and says so). */
export function kubectlAvailable(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function render(root: string, overlay: Overlay): K8sObject[] {
  const text = execFileSync('kubectl', ['kustomize', join(root, 'infra/k8s/overlays', overlay)], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return parseAllDocuments(text)
    .map((document) => document.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null)
    .map(unwrapSecretData);
}

/**
 * kustomize wraps a long Secret value's base64 over several lines; the API server's decoder skips the
 * line breaks, kubernetes-models' `byte` format does not, so they are removed before validating.
 */
function unwrapSecretData(object: K8sObject): K8sObject {
  if (object.kind !== 'Secret' || !object.data) return object;
  const data = Object.fromEntries(Object.entries(object.data).map(([key, value]) => [key, value.replace(/\s+/g, '')]));
  return { ...object, data };
}

/** kubernetes-models' module for an apiVersion and kind: `apps/v1` + `Deployment` → kubernetes-models/apps/v1/Deployment. */
function modelPath(apiVersion: string, kind: string): string {
  return `kubernetes-models/${apiVersion}/${kind}`;
}

/** The schema's complaint about an object, or undefined when it is valid. */
export async function schemaError(object: K8sObject): Promise<string | undefined> {
  const module = (await import(modelPath(object.apiVersion, object.kind))) as Record<
    string,
    new (
      data: unknown,
    ) => { validate(): void }
  >;
  const Model = module[object.kind];
  if (!Model) return `no kubernetes-models model for ${object.apiVersion} ${object.kind}`;
  try {
    new Model(object).validate();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export function matches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = key in labels;
    const ok =
      operator === 'In'
        ? has && values.includes(labels[key] as string)
        : operator === 'NotIn'
          ? !has || !values.includes(labels[key] as string)
          : operator === 'Exists'
            ? has
            : !has;
    if (!ok) return false;
  }
  return true;
}

/** The namespace the manifests render into: a namespaceSelector matches it by its name label. */
const HOME_NAMESPACE = { 'kubernetes.io/metadata.name': 'gatehouse' };

/**
 * One end of a connection: a pod (its labels; `namespace`, its namespace's labels, when it is not in
 * Gatehouse's), an IPv4 address outside the cluster's pods, or 'outside' (a public address, 203.0.113.7).
 */
export type Source =
  | { labels: Record<string, string>; namespace?: Record<string, string> }
  | { ip: string }
  | 'outside';

const endpoint = (source: Source) => (source === 'outside' ? { ip: '203.0.113.7' } : source);

function ipv4(address: string): number {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`not an IPv4 address: ${address}`);
  return parts.reduce((value, part) => value * 256 + part, 0);
}

export function inCidr(address: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4(address) / size) === Math.floor(ipv4(base) / size);
}

/** Whether a policy peer selects the endpoint (pods match selectors; addresses match ipBlocks). */
function peerSelects(peer: NetworkPolicyPeer, source: Source): boolean {
  const end = endpoint(source);
  if ('ip' in end)
    return (
      peer.ipBlock !== undefined &&
      inCidr(end.ip, peer.ipBlock.cidr) &&
      !(peer.ipBlock.except ?? []).some((c) => inCidr(end.ip, c))
    );
  if (peer.ipBlock) return false; // pod addresses are not known here; no policy below relies on them
  const namespace = end.namespace ?? HOME_NAMESPACE;
  // Without a namespaceSelector a pod selector means the policy's own namespace.
  const namespaceOk = peer.namespaceSelector ? matches(peer.namespaceSelector, namespace) : end.namespace === undefined;
  return namespaceOk && (peer.podSelector === undefined || matches(peer.podSelector, end.labels));
}

function portAllows(
  rulePorts: NetworkPolicyPort[] | undefined,
  port: number,
  protocol: string,
  named: Map<string | undefined, number>,
): boolean {
  return (rulePorts?.length ? rulePorts : [{}]).some(
    (rule) =>
      (rule.protocol ?? 'TCP') === protocol &&
      (rule.port === undefined ||
        rule.port === port ||
        (typeof rule.port === 'string' && named.get(rule.port) === port)),
  );
}

const namedPorts = (target: Workload) =>
  new Map(target.spec.template.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => [p.name, p.containerPort])));

const selects = (policy: NetworkPolicy, type: 'Ingress' | 'Egress', labels: Record<string, string>) =>
  (policy.spec.policyTypes ?? (type === 'Ingress' || policy.spec.egress ? [type] : [])).includes(type) &&
  matches(policy.spec.podSelector, labels);

/**
 * Whether NetworkPolicies (Ingress) let `source` open a TCP connection to `target` on `port` (a number,
 * resolved to the target's named ports too). A pod no Ingress policy selects accepts everything.
 */
export function admits(policies: NetworkPolicy[], source: Source, target: Workload, port: number): boolean {
  const selecting = policies.filter((policy) => selects(policy, 'Ingress', target.spec.template.metadata.labels));
  if (selecting.length === 0) return true;
  const named = namedPorts(target);
  return selecting.some((policy) =>
    (policy.spec.ingress ?? []).some(
      (rule) =>
        (!rule.from?.length || rule.from.some((peer) => peerSelects(peer, source))) &&
        portAllows(rule.ports, port, 'TCP', named),
    ),
  );
}

/**
 * Whether NetworkPolicies (Egress) let a pod with `labels` open a connection to `destination` on `port`
 * (a workload of the namespace, whose named ports count; or another pod or an address). A pod no Egress
 * policy selects may connect anywhere.
 */
export function allowsEgress(
  policies: NetworkPolicy[],
  labels: Record<string, string>,
  destination: Workload | Source,
  port: number,
  protocol: 'TCP' | 'UDP' = 'TCP',
): boolean {
  const selecting = policies.filter((policy) => selects(policy, 'Egress', labels));
  if (selecting.length === 0) return true;
  const isWorkload = typeof destination === 'object' && 'spec' in destination;
  const to: Source = isWorkload ? { labels: destination.spec.template.metadata.labels } : destination;
  const named = isWorkload ? namedPorts(destination) : new Map<string | undefined, number>();
  return selecting.some((policy) =>
    (policy.spec.egress ?? []).some(
      (rule) =>
        (!rule.to?.length || rule.to.some((peer) => peerSelects(peer, to))) &&
        portAllows(rule.ports, port, protocol, named),
    ),
  );
}
