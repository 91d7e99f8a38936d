import { PageHeader } from '../../components/PageHeader';

// Placeholder until this screen lands.
export function OAuthAppsPage() {
  return <PageHeader title="OAuthAppsPage" />;
}
