import { PageHeader } from '../../components/PageHeader';

// Placeholder until this screen lands.
export function MembersPage() {
  return <PageHeader title="MembersPage" />;
}
