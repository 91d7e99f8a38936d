/**
 * Per-fault numbers from the recorded requests and the consistency check, the issue's bar
 * applied to them, and the tables printed.
 */
import type { CheckResult } from './check.js';
import type { Fault } from './faults.js';
import type { Sample } from './http.js';
import { PROBE_KINDS, type Write } from './workload.js';

export interface PhaseWindow {
  start: number;
  injected: number;
  /** When the restore began (a process restarted, a dependency started) and when it was back. */
  restoring: number;
  restored: number;
  end: number;
}

export interface PhaseReport {
  name: string;
  requests: number;
  byStatus: Record<string, number>;
  nonEnvelope: Sample[];
  noAnswer: Sample[];
  maxLatencyMs: number;
  overTimeout: number;
  /** From the restore to the first success of every request kind after its last failure; null = never. */
  recoveryMs: number | null;
  recovery: Recovery | null;
  /** How long the restore itself took: a restarted process booting to ready, a dependency starting. */
  restoreMs: number;
  writes: number;
  check: CheckResult;
  crashes: string[];
  failures: string[];
}

export const RECOVERY_BAR_MS = 5000;
const ok = (sample: Sample) => sample.status !== null && sample.status >= 200 && sample.status < 300;

export interface Recovery {
  ms: number;
  /** The request kind that took longest to come back, and its last failure (ms after the restore). */
  slowest?: { kind: string; lastFailureAt: number; status: number | null; code?: string };
}

/** Unavailable: no answer, or a 5xx. A 4xx is a working system's answer (a sign-up retried after an
 * ambiguous 503 whose commit did happen rightly gets 409), counted in its own column, not here. */
const unavailable = (sample: Sample) => sample.status === null || sample.status >= 500;

/**
 * From the restore to the first success of every probe kind after its last unavailable answer;
 * null if one never came back.
 */
export function recovery(samples: Sample[], restored: number): Recovery | null {
  let worst: Recovery = { ms: 0 };
  for (const kind of PROBE_KINDS) {
    const ofKind = samples.filter((sample) => sample.kind === kind).sort((a, b) => a.start - b.start);
    const lastFailure = ofKind.findLastIndex(unavailable);
    if (lastFailure === -1) continue;
    const success = ofKind.slice(lastFailure + 1).find(ok);
    if (!success) return null;
    const failure = ofKind[lastFailure]!;
    if (success.end - restored > worst.ms) {
      worst = {
        ms: success.end - restored,
        slowest: { kind, lastFailureAt: failure.start - restored, status: failure.status, code: failure.code },
      };
    }
  }
  return worst;
}

export function phaseReport(
  fault: Fault | null,
  window: PhaseWindow,
  all: Sample[],
  /** The writes acknowledged during this phase. */
  writes: Write[],
  check: CheckResult,
  crashes: string[],
  upstreamTimeoutMs: number,
): PhaseReport {
  const samples = all.filter((sample) => sample.start >= window.start && sample.start < window.end);
  const byStatus: Record<string, number> = {};
  for (const sample of samples) {
    const key = sample.status === null ? 'none' : String(sample.status);
    byStatus[key] = (byStatus[key] ?? 0) + 1;
  }
  const answered = samples.filter((sample) => sample.status !== null);
  const report: PhaseReport = {
    name: fault?.name ?? 'no fault (baseline)',
    requests: samples.length,
    byStatus,
    nonEnvelope: answered.filter((sample) => !sample.envelope),
    noAnswer: samples.filter((sample) => sample.status === null),
    maxLatencyMs: Math.max(0, ...samples.map((sample) => sample.end - sample.start)),
    overTimeout: samples.filter((sample) => sample.end - sample.start > upstreamTimeoutMs).length,
    recoveryMs: 0,
    recovery: fault ? recovery(samples, window.restored) : { ms: 0 },
    restoreMs: window.restored - window.restoring,
    writes: writes.length,
    check,
    crashes,
    failures: [],
  };
  report.recoveryMs = report.recovery?.ms ?? null;
  report.failures = bar(report, fault);
  return report;
}

/** The issue's bar, and what a fault must not do besides (crash a process, leave things unsettled). */
function bar(report: PhaseReport, fault: Fault | null): string[] {
  const failures: string[] = [];
  if (report.check.lost.length > 0) failures.push(`${report.check.lost.length} lost writes`);
  if (report.check.unreadable.length > 0) {
    failures.push(`${report.check.unreadable.length} writes unreadable through the API`);
  }
  if (report.check.duplicates.length > 0) failures.push(`${report.check.duplicates.length} duplicates`);
  if (report.nonEnvelope.length > 0) failures.push(`${report.nonEnvelope.length} answers without the envelope`);
  // A dependency down is a 503; anything else of 5xx (a 500 above all) is a defect showing.
  const other5xx = Object.entries(report.byStatus).filter(([status]) => Number(status) >= 500 && status !== '503');
  for (const [status, count] of other5xx) failures.push(`${count} answers ${status} (a dependency down is a 503)`);
  if (report.overTimeout > 0) failures.push(`${report.overTimeout} requests over UPSTREAM_TIMEOUT_MS`);
  if (report.recoveryMs === null) failures.push('never recovered');
  else if (report.recoveryMs >= RECOVERY_BAR_MS)
    failures.push(`recovery ${report.recoveryMs} ms ≥ ${RECOVERY_BAR_MS} ms`);
  if (report.crashes.length > 0) failures.push(`crashed: ${report.crashes.join(', ')}`);
  if (report.check.unsettled.length > 0) failures.push(`unsettled: ${report.check.unsettled.join('; ')}`);
  // With the one gateway down, connections are refused; with the gateway up, every request is answered.
  if (report.noAnswer.length > 0 && fault?.target !== 'gateway')
    failures.push(`${report.noAnswer.length} requests unanswered`);
  return failures;
}

const pad = (value: string | number, width: number) => String(value).padEnd(width);
const seconds = (ms: number | null) => (ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s`);

export function printPhase(report: PhaseReport): void {
  const statuses = Object.entries(report.byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${status}×${count}`)
    .join(' ');
  const { check } = report;
  const lines = [
    `\n── ${report.name} ${report.failures.length === 0 ? '✓' : '✗'}`,
    `  requests            ${report.requests}   by status: ${statuses}`,
    `  without envelope    ${report.nonEnvelope.length}${examples(report.nonEnvelope)}`,
    `  no answer           ${report.noAnswer.length}${examples(report.noAnswer)}`,
    `  max latency         ${report.maxLatencyMs} ms   over UPSTREAM_TIMEOUT_MS: ${report.overTimeout}`,
    `  restore took        ${report.restoreMs} ms   recovery after it: ${recoveryText(report.recovery)}`,
    `  writes acknowledged ${report.writes}   lost: ${check.lost.length}${entries(check.lost)}`,
    `  unreadable via API  ${check.unreadable.length}${entries(check.unreadable)}   duplicates: ${check.duplicates.length}`,
    `  settled             ${check.unsettled.length === 0 ? 'yes' : 'NO'} (outboxes, consumers, read models; ${check.settleMs} ms)`,
    `  crashes             ${report.crashes.length === 0 ? 'none' : report.crashes.join(', ')}`,
  ];
  if (report.failures.length > 0) lines.push(`  FAILED: ${report.failures.join(' · ')}`);
  console.log(lines.join('\n'));
}

function recoveryText(recovery: Recovery | null): string {
  if (!recovery) return 'never';
  const slowest = recovery.slowest;
  if (!slowest) return `${recovery.ms} ms`;
  const failure = `${slowest.status ?? 'no answer'}${slowest.code ? ` ${slowest.code}` : ''}`;
  return `${recovery.ms} ms (slowest: ${slowest.kind}, last failure ${failure} at ${slowest.lastFailureAt} ms)`;
}

function examples(samples: Sample[]): string {
  if (samples.length === 0) return '';
  const seen = new Map<string, number>();
  for (const sample of samples) {
    const key = `${sample.kind} ${sample.status ?? ''} ${sample.error ?? sample.bodyStart ?? ''}`.trim();
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const top = [...seen].sort((a, b) => b[1] - a[1]).slice(0, 3);
  return `   e.g. ${top.map(([key, count]) => `${count}× ${key}`).join(' | ')}`;
}

function entries(list: CheckResult['lost']): string {
  if (list.length === 0) return '';
  return ` (e.g. ${list
    .slice(0, 3)
    .map((entry) => `${entry.kind} ${entry.id} ${entry.where}: ${entry.why}`)
    .join('; ')})`;
}

/** One line per fault: the table docs/chaos.md quotes. */
export function printSummary(reports: PhaseReport[], upstreamTimeoutMs: number): void {
  const count = (report: PhaseReport, test: (status: number) => boolean) =>
    Object.entries(report.byStatus)
      .filter(([status]) => status !== 'none' && test(Number(status)))
      .reduce((sum, [, n]) => sum + n, 0);
  const columns: Array<[string, number, (r: PhaseReport) => string | number]> = [
    ['fault', 22, (r) => r.name],
    ['requests', 9, (r) => r.requests],
    ['2xx', 6, (r) => count(r, (s) => s < 300)],
    ['4xx', 5, (r) => count(r, (s) => s >= 400 && s < 500)],
    ['5xx', 6, (r) => count(r, (s) => s >= 500)],
    ['none', 5, (r) => r.noAnswer.length],
    ['no-env', 7, (r) => r.nonEnvelope.length],
    ['max ms', 7, (r) => r.maxLatencyMs],
    [`>${upstreamTimeoutMs}`, 6, (r) => r.overTimeout],
    ['restore', 8, (r) => seconds(r.restoreMs)],
    ['recovery', 9, (r) => seconds(r.recoveryMs)],
    ['writes', 7, (r) => r.writes],
    ['lost', 5, (r) => r.check.lost.length],
    ['unread', 7, (r) => r.check.unreadable.length],
    ['crash', 6, (r) => r.crashes.length],
    ['result', 6, (r) => (r.failures.length === 0 ? 'ok' : 'FAIL')],
  ];
  const header = columns.map(([title, width]) => pad(title, width)).join(' ');
  console.log(`\n${header}\n${'─'.repeat(header.length)}`);
  for (const report of reports) console.log(columns.map(([, width, value]) => pad(value(report), width)).join(' '));
}
