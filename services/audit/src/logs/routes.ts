import { AUDIT_ROUTES } from '@gatehouse/contracts';
import type { RouteServer } from '@gatehouse/service-kit';
import type { AuditContext } from '../context.js';
import { notBuilt } from '../not-built.js';

/** The audit log routes (WP2 builds them). */
export function auditLogRoutes(routes: RouteServer, _ctx: AuditContext): void {
  routes.serve(AUDIT_ROUTES.listAuditLogs, notBuilt);
  routes.serve(AUDIT_ROUTES.exportAuditLogs, notBuilt);
  routes.serve(AUDIT_ROUTES.verifyAuditLogs, notBuilt);
  routes.serve(AUDIT_ROUTES.getAuditSettings, notBuilt);
  routes.serve(AUDIT_ROUTES.updateAuditSettings, notBuilt);
  routes.serve(AUDIT_ROUTES.listMyAuditLogs, notBuilt);
}
