import { PageHeader } from '../../components/PageHeader';

// Placeholder until this screen lands.
export function NewOrganizationPage() {
  return <PageHeader title="NewOrganizationPage" />;
}
