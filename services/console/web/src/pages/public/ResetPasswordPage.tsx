import { PageHeader } from '../../components/PageHeader';

// Placeholder until this screen lands.
export function ResetPasswordPage() {
  return <PageHeader title="ResetPasswordPage" />;
}
