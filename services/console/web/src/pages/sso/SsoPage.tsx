import { PageHeader } from '../../components/PageHeader';

// Placeholder until this screen lands.
export function SsoPage() {
  return <PageHeader title="SsoPage" />;
}
