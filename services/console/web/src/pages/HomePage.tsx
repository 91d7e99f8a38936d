import { Navigate } from 'react-router';
import { useOrganizations } from '../api/organizations';
import { LoadError, Loading } from '../components/feedback';

/** Signed in, `/` opens the default organization's projects (the first one without a default). */
export function HomePage() {
  const organizations = useOrganizations();
  if (organizations.isPending) return <Loading />;
  if (organizations.isError) return <LoadError error={organizations.error} retry={() => organizations.refetch()} />;
  const landing = organizations.data.find((org) => org.isDefault) ?? organizations.data[0];
  return <Navigate to={landing ? `/orgs/${landing.id}/projects` : '/orgs/new'} replace />;
}
