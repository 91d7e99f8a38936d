import { PageHeader } from '../../components/PageHeader';

// Placeholder until this screen lands.
export function ForgotPasswordPage() {
  return <PageHeader title="ForgotPasswordPage" />;
}
