import { PageHeader } from '../../components/PageHeader';

// Placeholder until this screen lands.
export function VerifyEmailPage() {
  return <PageHeader title="VerifyEmailPage" />;
}
