import { PageHeader } from '../../components/PageHeader';

// Placeholder until this screen lands.
export function ProjectPage() {
  return <PageHeader title="ProjectPage" />;
}
