import { PageHeader } from '../../components/PageHeader';

// Placeholder until this screen lands.
export function AcceptInvitePage() {
  return <PageHeader title="AcceptInvitePage" />;
}
