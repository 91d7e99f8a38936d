/**
 * The faults, each an injection and its restoration: a process killed (SIGKILL) or stopped
 * (SIGTERM) and restarted as an orchestrator would, or a dependency stopped and started again.
 */
import type { Dependencies } from './deps.js';
import { type ManagedProcess, type ProcessName, waitReady } from './processes.js';

export interface Fault {
  name: string;
  /** What the fault takes away: a process, or a dependency. */
  target: ProcessName | 'postgres' | 'redis' | 'nats';
  inject(): Promise<void>;
  restore(): Promise<void>;
}

const PROCESS_ORDER: ProcessName[] = ['identity', 'organization', 'project', 'gateway'];

function processFault(process: ManagedProcess, signal: 'SIGKILL' | 'SIGTERM'): Fault {
  return {
    name: `${signal === 'SIGKILL' ? 'kill -9' : 'SIGTERM'} ${process.name}`,
    target: process.name,
    inject: () => process.stop(signal),
    // Restored once the restarted process reports ready, as an orchestrator routes traffic to it.
    restore: async () => {
      process.restore();
      await waitReady(`${process.url}/readyz`);
    },
  };
}

function dependencyFault(
  name: 'postgres' | 'redis' | 'nats',
  server: { stop(): Promise<void>; start(): Promise<void> },
) {
  const label = { postgres: 'PostgreSQL', redis: 'Redis', nats: 'NATS' }[name];
  return {
    name: `${label} stop`,
    target: name,
    inject: () => server.stop(),
    restore: () => server.start(),
  } satisfies Fault;
}

/** Every fault (the full run), or one of each kind (the short run CI takes). */
export function faultPlan(processes: Record<ProcessName, ManagedProcess>, deps: Dependencies, short: boolean): Fault[] {
  const dependencies = [
    dependencyFault('nats', deps.nats),
    dependencyFault('redis', deps.redis),
    dependencyFault('postgres', deps.postgres),
  ];
  if (short) return [processFault(processes.identity, 'SIGKILL'), ...dependencies];
  return [
    ...PROCESS_ORDER.map((name) => processFault(processes[name], 'SIGKILL')),
    ...PROCESS_ORDER.map((name) => processFault(processes[name], 'SIGTERM')),
    ...dependencies,
  ];
}
