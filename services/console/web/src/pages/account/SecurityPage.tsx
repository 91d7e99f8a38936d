import { PageHeader } from '../../components/PageHeader';

// Placeholder until this screen lands.
export function SecurityPage() {
  return <PageHeader title="SecurityPage" />;
}
