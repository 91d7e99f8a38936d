import { PageHeader } from '../../components/PageHeader';

// Placeholder until this screen lands.
export function SignUpPage() {
  return <PageHeader title="SignUpPage" />;
}
