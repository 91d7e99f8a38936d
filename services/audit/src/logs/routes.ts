import { AUDIT_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer, requireUser } from '@gatehouse/service-kit';
import { type AuditContext, commit, readEm } from '../context.js';
import { chainKeyOf } from '../records/entities.js';
import { verifyChain } from '../records/verify.js';
import { EXPORT_CONTENT_TYPES, exportStream } from './export.js';
import { filtersOf } from './query.js';
import { journalLogAction, listAccountLog, listOrganizationLog, organizationScope } from './service.js';
import { getAuditSettings, updateAuditSettings } from './settings.js';

/** The audit log routes: an organization's log (list, export, verify, retention) and the account's own. */
export function auditLogRoutes(routes: RouteServer, ctx: AuditContext): void {
  routes.serve(AUDIT_ROUTES.listAuditLogs, async (request, reply) => {
    const { items, meta } = await listOrganizationLog(ctx, request.tenant, request.query);
    return ok(reply, 'Audit log fetched successfully', items, { meta });
  });

  routes.serve(AUDIT_ROUTES.listMyAuditLogs, async (request, reply) => {
    const principal = requireUser(request);
    const { items, meta } = await listAccountLog(ctx, principal.userId, request.query);
    return ok(reply, 'Security log fetched successfully', items, { meta });
  });

  routes.serve(AUDIT_ROUTES.exportAuditLogs, async (request, reply) => {
    const { organizationId } = request.tenant;
    const { format, ...query } = request.query;
    const filters = filtersOf(query);
    // Recorded before the first byte leaves: an export that is cut short was still an export.
    await commit(ctx, (em) =>
      journalLogAction(em, organizationId, 'audit_log.exported', {
        format: { after: format },
        filters: { after: filters },
      }),
    );
    reply
      .header('content-type', EXPORT_CONTENT_TYPES[format])
      .header('content-disposition', `attachment; filename="audit-log-${organizationId}.${format}"`)
      .header('cache-control', 'no-store');
    return reply.send(exportStream(ctx, organizationScope(request.tenant, filters), format));
  });

  routes.serve(AUDIT_ROUTES.verifyAuditLogs, async (request, reply) => {
    const verification = await verifyChain(readEm(ctx), chainKeyOf({ organizationId: request.tenant.organizationId }));
    return ok(reply, verification.intact ? 'The audit log is intact' : 'The audit log is broken', verification);
  });

  routes.serve(AUDIT_ROUTES.getAuditSettings, async (request, reply) => {
    return ok(reply, 'Audit log settings fetched', await getAuditSettings(ctx, request.tenant.organizationId));
  });

  routes.serve(AUDIT_ROUTES.updateAuditSettings, async (request, reply) => {
    const settings = await updateAuditSettings(ctx, request.tenant.organizationId, request.body.retentionDays);
    return ok(reply, 'Audit log settings updated', settings);
  });
}
