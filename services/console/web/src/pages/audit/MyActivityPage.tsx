import { PageHeader } from '../../components/PageHeader';
import { AuditFilterForm } from './AuditFilterForm';
import { AuditRecordList } from './AuditRecordList';
import { fetchMyPage, MY_ACTIVITY_KEY } from './audit-api';
import { useAuditFilters } from './audit-filters';
import { ACCOUNT_FAMILIES } from './families';
import './audit.css';

/** `/account/activity`: my account's own security log, with sign-ins and refused ones standing out. */
export function MyActivityPage() {
  const [filters, apply] = useAuditFilters(ACCOUNT_FAMILIES);
  return (
    <>
      <PageHeader
        title="Activity"
        description="Your account's security log: sign-ins (refused ones too), sessions, API keys, OAuth apps and two-step verification. Something you do not recognise? Change your password and end your sessions under Security."
      />
      <section className="section" aria-labelledby="activity-records-heading">
        <h2 id="activity-records-heading">Records</h2>
        <AuditFilterForm label="Activity records" families={ACCOUNT_FAMILIES} filters={filters} onApply={apply} />
        <AuditRecordList
          key={JSON.stringify(filters)}
          caption="Your account's activity, newest first"
          queryKey={MY_ACTIVITY_KEY}
          filters={filters}
          fetchPage={fetchMyPage}
          empty="No activity recorded yet."
        />
      </section>
    </>
  );
}
