import { Fragment } from 'react';
import type { AuditRecord } from './audit-api';

const ACTOR_TYPES: Record<AuditRecord['actor']['type'], string> = {
  user: 'person',
  api_key: 'API key',
  oauth_app: 'OAuth app',
  scim: 'directory',
  system: 'Gatehouse',
};

/** `sso_connection.created`, allowed to wrap after its dots and underscores only (never mid-word). */
export function ActionName({ action, className = 'audit-action' }: { action: string; className?: string }) {
  const parts = action.split(/(?<=[._])/);
  return (
    <code className={className}>
      {parts.map((part, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one fixed string, in order
        <Fragment key={index}>
          {part}
          {index < parts.length - 1 ? <wbr /> : null}
        </Fragment>
      ))}
    </code>
  );
}

/** An actor whose name was not known when the record was made: its kind and the start of its id (all of it in the details). */
function unnamed(actor: AuditRecord['actor']): string {
  return actor.type === 'system' ? 'Gatehouse' : `${ACTOR_TYPES[actor.type]} ${actor.id.slice(0, 8)}…`;
}

/** Who did it: the name as it was then, and what kind of actor. */
export function ActorName({ record }: { record: AuditRecord }) {
  const { actor } = record;
  return (
    <>
      <span className="audit-actor">{actor.name ?? unnamed(actor)}</span>
      <span className="muted audit-subline">{ACTOR_TYPES[actor.type]}</span>
    </>
  );
}

/** A changed value as text: strings as they are, anything else as JSON, nothing as a dash. */
function shown(value: unknown): string {
  if (value === undefined || value === null) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function Changes({ changes }: { changes: NonNullable<AuditRecord['changes']> }) {
  const fields = Object.entries(changes);
  if (fields.length === 0) return null;
  return (
    <table className="audit-changes">
      <caption>Changes</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {fields.map(([field, change]) => (
          <tr key={field}>
            <th scope="row">{field}</th>
            <td>{shown(change.before)}</td>
            <td>{shown(change.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Everything a record holds: the change before → after, where it came from, and its place in the chain. */
export function RecordDetails({ record }: { record: AuditRecord }) {
  const { actor, target } = record;
  return (
    <div className="audit-details">
      {record.changes ? <Changes changes={record.changes} /> : null}
      <dl className="details">
        <dt>Outcome</dt>
        <dd>
          {record.outcome === 'success' ? 'Succeeded' : 'Failed'}
          {record.reason ? ` (${record.reason})` : ''}
        </dd>
        <dt>Actor</dt>
        <dd>
          {ACTOR_TYPES[actor.type]} <code>{actor.id}</code>
          {actor.userId && actor.userId !== actor.id ? (
            <>
              {' '}
              for the person <code>{actor.userId}</code>
            </>
          ) : null}
        </dd>
        <dt>Target</dt>
        <dd>
          {target.type} <code>{target.id}</code>
        </dd>
        <dt>IP address</dt>
        <dd>{record.ip ?? '—'}</dd>
        <dt>User agent</dt>
        <dd>{record.userAgent ?? '—'}</dd>
        <dt>Request id</dt>
        <dd>{record.requestId ? <code>{record.requestId}</code> : '—'}</dd>
        <dt>Record</dt>
        <dd>
          <code>{record.id}</code>, number {record.sequence} in the log
        </dd>
        <dt>Hash</dt>
        <dd>
          <code data-testid="audit-hash">{record.hash}</code>
        </dd>
        <dt>Previous hash</dt>
        <dd>
          <code>{record.previousHash}</code>
        </dd>
      </dl>
    </div>
  );
}
