import { PageHeader } from '../../components/PageHeader';

// Placeholder until this screen lands.
export function SsoConnectionPage() {
  return <PageHeader title="SsoConnectionPage" />;
}
