import { PageHeader } from '../../components/PageHeader';

// Placeholder until this screen lands.
export function SettingsPage() {
  return <PageHeader title="SettingsPage" />;
}
