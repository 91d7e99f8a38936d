import { Link } from 'react-router';
import { PageHeader } from '../components/PageHeader';

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" description="There is no such page in the console." />
      <p>
        <Link to="/">Back to the start</Link>
      </p>
    </>
  );
}
