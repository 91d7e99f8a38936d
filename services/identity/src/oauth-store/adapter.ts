import { firstUnstorable } from '@gatehouse/service-kit';
import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import { commit, type IdentityContext, readEm } from '../context.js';
import { clientMetadata, findClient, registerClient } from './clients.js';
import { OAuthAppSchema, OidcPayloadSchema } from './entities.js';
import { destroyGrant } from './grants.js';

type AdapterConstructor = new (model: string) => Adapter;

function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/**
 * Whether an id a client sent can name a stored record at all: PostgreSQL text cannot hold NUL
 * (it refuses the query), so such an id names nothing, and oidc-provider answers "not found" its
 * own way (invalid_client, invalid_grant, active: false) instead of a 500.
 */
function storable(id: string): boolean {
  return !id.includes('\u0000');
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/**
 * oidc-provider's storage on PostgreSQL through MikroORM. Clients live in `oauth_apps`
 * (managed through the API); every other model is a row of `oidc_payloads`. Expired rows
 * are invisible at once and swept by the retention job.
 */
export function postgresAdapter(ctx: IdentityContext): AdapterConstructor {
  return class PostgresAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      // Request parameters ride in payloads (an interaction keeps the authorization request's, which
      // a pushed request brings past the gateway's NUL check): the client's mistake, not a 500.
      const unstorable = firstUnstorable(payload);
      if (unstorable) {
        const field = unstorable.path.replace(/^params\./, '') || 'request';
        throw new errors.InvalidRequest(`${field} ${unstorable.error}`);
      }
      if (this.model === 'Client') {
        await registerClient(ctx, id, payload);
        return;
      }
      const expiresAt = typeof expiresIn === 'number' ? new Date(Date.now() + expiresIn * 1000) : null;
      const params = payload.params as Record<string, unknown> | undefined;
      const row = {
        model: this.model,
        id,
        payload: payload as Record<string, unknown>,
        grantId: stringOrNull(payload.grantId),
        uid: stringOrNull(payload.uid),
        userCode: stringOrNull(payload.userCode),
        accountId: stringOrNull(payload.accountId),
        clientId: stringOrNull(payload.clientId) ?? stringOrNull(params?.client_id),
        createdAt: new Date(),
        expiresAt,
        consumedAt: null,
      };
      // A later save never un-consumes a code or refresh token.
      await ctx.deps.orm.em.fork().upsert(OidcPayloadSchema, row, {
        onConflictFields: ['model', 'id'],
        onConflictExcludeFields: ['createdAt', 'consumedAt'],
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (!storable(id)) return undefined;
      if (this.model === 'Client') {
        const app = await findClient(readEm(ctx), id);
        // A confidential app whose secret recovery voided is unusable until a new one is rotated in.
        const voided = app?.clientType === 'confidential' && !app.secretHash;
        return app && !voided ? clientMetadata(app) : undefined;
      }
      return this.findBy({ id });
    }

    findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.findBy({ uid });
    }

    findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.findBy({ userCode });
    }

    /**
     * Single use, atomically: oidc-provider checks `consumed` and then consumes, so two requests
     * racing with one code or refresh token could both pass its check. Only one UPDATE wins here;
     * the loser is treated as the replay it is (the grant is revoked, the answer is invalid_grant).
     */
    async consume(id: string): Promise<void> {
      const won = await ctx.deps.orm.em
        .fork()
        .nativeUpdate(OidcPayloadSchema, { model: this.model, id, consumedAt: null }, { consumedAt: new Date() });
      if (won > 0) return;
      const row = await readEm(ctx).findOne(OidcPayloadSchema, { model: this.model, id }, { fields: ['grantId'] });
      if (row?.grantId) {
        const grantId = row.grantId;
        await commit(ctx, (em) => destroyGrant(em, grantId));
      }
      throw new errors.InvalidGrant(`${this.model} already used`);
    }

    async destroy(id: string): Promise<void> {
      if (!storable(id)) return;
      if (this.model === 'Client') {
        await ctx.deps.orm.em.fork().nativeDelete(OAuthAppSchema, { id, registered: true });
        return;
      }
      if (this.model === 'Grant') {
        await commit(ctx, (em) => destroyGrant(em, id));
        return;
      }
      await ctx.deps.orm.em.fork().nativeDelete(OidcPayloadSchema, { model: this.model, id });
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await ctx.deps.orm.em.fork().nativeDelete(OidcPayloadSchema, { model: this.model, grantId });
    }

    private async findBy(where: { id?: string; uid?: string; userCode?: string }) {
      if (Object.values(where).some((value) => typeof value === 'string' && !storable(value))) return undefined;
      const row = await readEm(ctx).findOne(
        OidcPayloadSchema,
        { model: this.model, ...where, $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date() } }] },
        { disableIdentityMap: true },
      );
      if (!row) return undefined;
      const payload = { ...row.payload } as AdapterPayload;
      if (row.consumedAt) payload.consumed = epochSeconds(row.consumedAt);
      return payload;
    }
  };
}
