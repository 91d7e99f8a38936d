import type { FormEvent, ReactNode } from 'react';
import { Link, Navigate, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { useCurrentOrganization, useOrganizations } from '../api/organizations';
import { useMe, useSignOut } from '../api/session';
import { ApiPanel } from './ApiPanel';
import { LoadError, Loading } from './feedback';
import { StepUpDialog } from './StepUpDialog';

function SkipLink() {
  return (
    <a className="skip-link" href="#main">
      Skip to content
    </a>
  );
}

/** The pages before sign-in (and the ones a mailed link opens): one card, the API panel below. */
export function PublicLayout({ children }: { children?: ReactNode }) {
  return (
    <>
      <SkipLink />
      <div className="public">
        <header className="public-brand">
          <Link to="/" className="brand">
            <img src="/favicon.svg" alt="" width="28" height="28" /> Gatehouse
          </Link>
        </header>
        <main id="main" className="card">
          {children ?? <Outlet />}
        </main>
        <ApiPanel />
      </div>
    </>
  );
}

/** Signed-in screens only: a signed-out visitor goes to sign-in and comes back after. */
export function RequireSession({ children }: { children: ReactNode }) {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <Loading />;
  if (me.isError) return <LoadError error={me.error} retry={() => me.refetch()} />;
  if (!me.data)
    return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <>{children}</>;
}

/** The organization the navigation points at: the screen's own, else the default one. */
function useNavOrganization(): string | undefined {
  const { organizationId } = useCurrentOrganization();
  const { data: organizations } = useOrganizations();
  return organizationId || organizations?.find((org) => org.isDefault)?.id || organizations?.[0]?.id;
}

/**
 * Choosing an organization moves only when asked (Open): a select that navigated on every change
 * would carry a keyboard user away at the first arrow key (WCAG 3.2.2).
 */
function OrganizationSwitcher() {
  const { data: organizations } = useOrganizations();
  const organizationId = useNavOrganization() ?? '';
  const navigate = useNavigate();
  if (!organizations) return null;
  const open = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const chosen = new FormData(event.currentTarget).get('organization');
    if (typeof chosen === 'string' && chosen) navigate(chosen === 'new' ? '/orgs/new' : `/orgs/${chosen}/projects`);
  };
  return (
    // Keyed by the screen's organization: the select shows where one is, after every move.
    <form className="switcher" onSubmit={open} key={organizationId}>
      <label htmlFor="organization-switcher">Organization</label>
      <select id="organization-switcher" name="organization" defaultValue={organizationId}>
        {organizationId ? null : <option value="">Choose…</option>}
        {organizations.map((org) => (
          <option key={org.id} value={org.id}>
            {org.name}
          </option>
        ))}
        <option value="new">+ New organization</option>
      </select>
      <button type="submit" className="button button-small" aria-label="Open the chosen organization">
        Open
      </button>
    </form>
  );
}

function OrganizationNav({ organizationId }: { organizationId: string }) {
  const base = `/orgs/${organizationId}`;
  return (
    <ul>
      <li>
        <NavLink to={`${base}/projects`}>Projects</NavLink>
      </li>
      <li>
        <NavLink to={`${base}/members`}>Members</NavLink>
      </li>
      <li>
        <NavLink to={`${base}/sso`}>Single sign-on</NavLink>
      </li>
      <li>
        <NavLink to={`${base}/audit-log`}>Audit log</NavLink>
      </li>
      <li>
        <NavLink to={`${base}/webhooks`}>Webhooks</NavLink>
      </li>
      <li>
        <NavLink to={`${base}/billing`}>Billing</NavLink>
      </li>
      <li>
        <NavLink to={`${base}/settings`}>Settings</NavLink>
      </li>
    </ul>
  );
}

function AccountNav() {
  return (
    <ul>
      <li>
        <NavLink to="/account" end>
          Profile
        </NavLink>
      </li>
      <li>
        <NavLink to="/account/security">Security</NavLink>
      </li>
      <li>
        <NavLink to="/account/api-keys">API keys</NavLink>
      </li>
      <li>
        <NavLink to="/account/oauth-apps">OAuth apps</NavLink>
      </li>
      <li>
        <NavLink to="/account/authorized-apps">Authorized apps</NavLink>
      </li>
      <li>
        <NavLink to="/account/activity">Activity</NavLink>
      </li>
    </ul>
  );
}

/** Every signed-in screen: header (switcher, who I am, sign out), navigation, the screen, the API panel. */
export function AppLayout() {
  const me = useMe();
  const signOut = useSignOut();
  const navigate = useNavigate();
  const navOrganization = useNavOrganization();
  return (
    <RequireSession>
      <SkipLink />
      <div className="app">
        <header className="topbar">
          <Link to="/" className="brand">
            <img src="/favicon.svg" alt="" width="28" height="28" /> Gatehouse
          </Link>
          <OrganizationSwitcher />
          <div className="topbar-end">
            <span className="who" data-testid="signed-in-as">
              {me.data?.email}
            </span>
            <button
              type="button"
              className="button button-small"
              disabled={signOut.isPending}
              onClick={() => signOut.mutate(undefined, { onSettled: () => navigate('/sign-in') })}
            >
              Sign out
            </button>
          </div>
        </header>
        <nav className="sidebar" aria-label="Main">
          {navOrganization ? (
            <>
              <h2 className="nav-heading">Organization</h2>
              <OrganizationNav organizationId={navOrganization} />
            </>
          ) : null}
          <h2 className="nav-heading">Account</h2>
          <AccountNav />
          <h2 className="nav-heading">Developers</h2>
          <ul>
            <li>
              <a href="/docs">API reference</a>
            </li>
          </ul>
        </nav>
        <main id="main" className="content">
          <Outlet />
        </main>
        <footer className="content-footer">
          <ApiPanel />
        </footer>
      </div>
      <StepUpDialog />
    </RequireSession>
  );
}
