import { PageHeader } from '../../components/PageHeader';

// Placeholder until this screen lands.
export function AuthorizedAppsPage() {
  return <PageHeader title="AuthorizedAppsPage" />;
}
