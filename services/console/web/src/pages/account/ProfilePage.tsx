import { PageHeader } from '../../components/PageHeader';

// Placeholder until this screen lands.
export function ProfilePage() {
  return <PageHeader title="ProfilePage" />;
}
