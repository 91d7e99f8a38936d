import { PageHeader } from '../../components/PageHeader';

// Placeholder until this screen lands.
export function OAuthAppPage() {
  return <PageHeader title="OAuthAppPage" />;
}
