import { canManageSecurity, useCurrentOrganization } from '../../api/organizations';
import { Notice } from '../../components/feedback';
import { PageHeader } from '../../components/PageHeader';
import { AuditFilterForm } from './AuditFilterForm';
import { AuditRecordList } from './AuditRecordList';
import { type AuditFilters, auditLogKey, exportPath, fetchOrganizationPage, recordExport } from './audit-api';
import { useAuditFilters } from './audit-filters';
import { ChainCheck } from './ChainCheck';
import { ORGANIZATION_FAMILIES } from './families';
import './audit.css';

/**
 * `/orgs/:organizationId/audit-log`: who did what in the organization, newest first. The API decides
 * what each member sees (owners everything, others their own actions); owners also export and verify.
 */
export function AuditLogPage() {
  const { organizationId, organization } = useCurrentOrganization();
  const [filters, apply] = useAuditFilters(ORGANIZATION_FAMILIES);
  const owner = canManageSecurity(organization?.role);
  return (
    <>
      <PageHeader
        title="Audit log"
        description={`Who did what${organization ? ` in ${organization.name}` : ''}, from where and when: members, projects, single sign-on, directories, webhooks.`}
      />
      {organization && !owner ? (
        <Notice kind="info">
          You see the records of your own actions. Owners see every record, export the log and verify it.
        </Notice>
      ) : null}
      {owner ? <ChainCheck organizationId={organizationId} /> : null}
      <section className="section" aria-labelledby="audit-records-heading">
        <h2 id="audit-records-heading">Records</h2>
        <AuditFilterForm label="Audit log records" families={ORGANIZATION_FAMILIES} filters={filters} onApply={apply} />
        {owner ? <ExportLinks organizationId={organizationId} filters={filters} /> : null}
        <AuditRecordList
          key={`${organizationId}|${JSON.stringify(filters)}`}
          caption="Audit log records, newest first"
          queryKey={auditLogKey(organizationId)}
          filters={filters}
          fetchPage={(chosen, cursor) => fetchOrganizationPage(organizationId, chosen, cursor)}
          empty="No records yet."
        />
      </section>
    </>
  );
}

/** Plain links: the browser downloads the stream with the session cookie, oldest record first. */
function ExportLinks({ organizationId, filters }: { organizationId: string; filters: AuditFilters }) {
  const filtered = Object.values(filters).some(Boolean);
  return (
    <p className="audit-export">
      <span>{filtered ? 'Export the records matching these filters:' : 'Export the whole log:'}</span>
      {(['jsonl', 'csv'] as const).map((format) => {
        const path = exportPath(organizationId, format, filters);
        return (
          <a key={format} className="button button-small" href={path} download onClick={() => recordExport(path)}>
            Export {format.toUpperCase()}
          </a>
        );
      })}
    </p>
  );
}
