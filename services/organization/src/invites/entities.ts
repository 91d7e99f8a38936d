import type { Role } from '@gatehouse/contracts';
import { EntitySchema } from '@mikro-orm/postgresql';

export interface Invite {
  id: string;
  organizationId: string;
  email: string;
  role: Role;
  /** sha256 of the link token; the token itself is only in the mail. */
  tokenHash: string;
  invitedByUserId: string;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
  acceptedByUserId: string | null;
}

export const InviteSchema = new EntitySchema<Invite>({
  name: 'Invite',
  tableName: 'invites',
  properties: {
    id: { type: 'string', primary: true },
    organizationId: { type: 'string', index: true },
    email: { type: 'string' },
    role: { type: 'string' },
    tokenHash: { type: 'string', unique: true },
    invitedByUserId: { type: 'string' },
    createdAt: { type: 'Date' },
    expiresAt: { type: 'Date' },
    acceptedAt: { type: 'Date', nullable: true },
    acceptedByUserId: { type: 'string', nullable: true },
  },
});

export function inviteStatus(invite: Invite, now = new Date()): 'pending' | 'accepted' | 'expired' {
  if (invite.acceptedAt) return 'accepted';
  return invite.expiresAt <= now ? 'expired' : 'pending';
}

export function presentInvite(invite: Invite) {
  return {
    id: invite.id,
    organizationId: invite.organizationId,
    email: invite.email,
    role: invite.role,
    status: inviteStatus(invite),
    invitedByUserId: invite.invitedByUserId,
    createdAt: invite.createdAt.toISOString(),
    expiresAt: invite.expiresAt.toISOString(),
    acceptedAt: invite.acceptedAt?.toISOString() ?? null,
  };
}
