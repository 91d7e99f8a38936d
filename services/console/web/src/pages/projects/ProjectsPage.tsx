import { PageHeader } from '../../components/PageHeader';

// Placeholder until this screen lands.
export function ProjectsPage() {
  return <PageHeader title="ProjectsPage" />;
}
