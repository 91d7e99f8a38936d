import { PageHeader } from '../../components/PageHeader';

// Placeholder until this screen lands.
export function ApiKeysPage() {
  return <PageHeader title="ApiKeysPage" />;
}
