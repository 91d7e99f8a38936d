import { useLayoutEffect } from 'react';
import { createBrowserRouter, Outlet, useLocation } from 'react-router';
import { clearCalls } from './api/calls';
import { useFocusRecovery } from './components/focus-recovery';
import { AppLayout, PublicLayout } from './components/layouts';
import { ApiKeysPage } from './pages/account/ApiKeysPage';
import { AuthorizedAppsPage } from './pages/account/AuthorizedAppsPage';
import { OAuthAppPage } from './pages/account/OAuthAppPage';
import { OAuthAppsPage } from './pages/account/OAuthAppsPage';
import { ProfilePage } from './pages/account/ProfilePage';
import { SecurityPage } from './pages/account/SecurityPage';
import { AuditLogPage } from './pages/audit/AuditLogPage';
import { MyActivityPage } from './pages/audit/MyActivityPage';
import { BillingPage } from './pages/billing/BillingPage';
import { HomePage } from './pages/HomePage';
import { NotFoundPage } from './pages/NotFoundPage';
import { MembersPage } from './pages/organization/MembersPage';
import { NewOrganizationPage } from './pages/organization/NewOrganizationPage';
import { SettingsPage } from './pages/organization/SettingsPage';
import { ProjectPage } from './pages/projects/ProjectPage';
import { ProjectsPage } from './pages/projects/ProjectsPage';
import { AcceptInvitePage } from './pages/public/AcceptInvitePage';
import { ForgotPasswordPage } from './pages/public/ForgotPasswordPage';
import { MagicLinkPage } from './pages/public/MagicLinkPage';
import { MfaChallengePage } from './pages/public/MfaChallengePage';
import { ResetPasswordPage } from './pages/public/ResetPasswordPage';
import { SignInPage } from './pages/public/SignInPage';
import { SignUpPage } from './pages/public/SignUpPage';
import { VerifyEmailPage } from './pages/public/VerifyEmailPage';
import { SsoConnectionPage } from './pages/sso/SsoConnectionPage';
import { SsoPage } from './pages/sso/SsoPage';
import { WebhookPage } from './pages/webhooks/WebhookPage';
import { WebhooksPage } from './pages/webhooks/WebhooksPage';

/** The "Use the API" panel shows the current screen's calls: a new screen starts it empty. */
function Root() {
  const { pathname } = useLocation();
  // biome-ignore lint/correctness/useExhaustiveDependencies: the point is to run on every new path
  useLayoutEffect(() => {
    clearCalls();
  }, [pathname]);
  useFocusRecovery();
  return <Outlet />;
}

/**
 * Every screen of the console, in one place. Public pages (sign-in and the pages mailed links
 * open) need no session; everything under AppLayout redirects a signed-out visitor to sign-in.
 */
export const router = createBrowserRouter([
  {
    element: <Root />,
    children: [
      {
        element: <PublicLayout />,
        children: [
          { path: '/sign-in', element: <SignInPage /> },
          { path: '/sign-in/mfa', element: <MfaChallengePage /> },
          { path: '/magic-link', element: <MagicLinkPage /> },
          { path: '/sign-up', element: <SignUpPage /> },
          { path: '/verify-email', element: <VerifyEmailPage /> },
          { path: '/forgot-password', element: <ForgotPasswordPage /> },
          { path: '/reset-password', element: <ResetPasswordPage /> },
          { path: '/accept-invite', element: <AcceptInvitePage /> },
        ],
      },
      {
        element: <AppLayout />,
        children: [
          { path: '/', element: <HomePage /> },
          { path: '/account', element: <ProfilePage /> },
          { path: '/account/security', element: <SecurityPage /> },
          { path: '/account/api-keys', element: <ApiKeysPage /> },
          { path: '/account/oauth-apps', element: <OAuthAppsPage /> },
          { path: '/account/oauth-apps/:appId', element: <OAuthAppPage /> },
          { path: '/account/authorized-apps', element: <AuthorizedAppsPage /> },
          { path: '/account/activity', element: <MyActivityPage /> },
          { path: '/orgs/new', element: <NewOrganizationPage /> },
          { path: '/orgs/:organizationId/projects', element: <ProjectsPage /> },
          { path: '/orgs/:organizationId/projects/:projectId', element: <ProjectPage /> },
          { path: '/orgs/:organizationId/members', element: <MembersPage /> },
          { path: '/orgs/:organizationId/settings', element: <SettingsPage /> },
          { path: '/orgs/:organizationId/sso', element: <SsoPage /> },
          { path: '/orgs/:organizationId/sso/:connectionId', element: <SsoConnectionPage /> },
          { path: '/orgs/:organizationId/audit-log', element: <AuditLogPage /> },
          { path: '/orgs/:organizationId/webhooks', element: <WebhooksPage /> },
          { path: '/orgs/:organizationId/webhooks/:webhookId', element: <WebhookPage /> },
          { path: '/orgs/:organizationId/billing', element: <BillingPage /> },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
]);
