import type { BillingSettings } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from 'typebox';

export type BillingSettingsView = Static<typeof BillingSettings>;
export type BillingAddress = NonNullable<BillingSettingsView['address']>;
export type BillingTaxId = NonNullable<BillingSettingsView['taxId']>;

/** The profile as a PUT states it: every field, null where unset. */
export interface BillingProfile {
  billingEmail: string | null;
  companyName: string | null;
  address: BillingAddress | null;
  taxId: BillingTaxId | null;
}

/** A billing_settings row; `stripeTaxId` is the id of the tax id Stripe holds for the profile's one. */
export interface SettingsRow extends BillingProfile {
  organizationId: string;
  stripeTaxId: string | null;
  updatedAt: Date;
}

type Raw = Record<string, unknown>;

function settingsOf(raw: Raw): SettingsRow {
  const taxType = raw.tax_id_type as BillingTaxId['type'] | null;
  return {
    organizationId: raw.organization_id as string,
    billingEmail: (raw.billing_email as string | null) ?? null,
    companyName: (raw.company_name as string | null) ?? null,
    address: (raw.address as BillingAddress | null) ?? null,
    taxId: taxType ? { type: taxType, value: raw.tax_id_value as string } : null,
    stripeTaxId: (raw.stripe_tax_id as string | null) ?? null,
    updatedAt: new Date(raw.updated_at as string | Date),
  };
}

export async function findSettings(
  em: EntityManager,
  organizationId: string,
  options: { lock?: boolean } = {},
): Promise<SettingsRow | null> {
  const [raw] = await em.execute<Raw[]>(
    `select * from billing_settings where organization_id = ?${options.lock ? ' for update' : ''}`,
    [organizationId],
  );
  return raw ? settingsOf(raw) : null;
}

/** Writes the whole profile (a PUT replaces it). */
export async function saveSettings(em: EntityManager, row: SettingsRow): Promise<void> {
  await em.execute(
    `insert into billing_settings (organization_id, billing_email, company_name, address, tax_id_type, tax_id_value,
       stripe_tax_id, updated_at)
     values (?, ?, ?, ?::jsonb, ?, ?, ?, ?)
     on conflict (organization_id) do update set billing_email = excluded.billing_email,
       company_name = excluded.company_name, address = excluded.address, tax_id_type = excluded.tax_id_type,
       tax_id_value = excluded.tax_id_value, stripe_tax_id = excluded.stripe_tax_id, updated_at = excluded.updated_at`,
    [
      row.organizationId,
      row.billingEmail,
      row.companyName,
      row.address ? JSON.stringify(row.address) : null,
      row.taxId?.type ?? null,
      row.taxId?.value ?? null,
      row.stripeTaxId,
      row.updatedAt,
    ],
  );
}

export function presentSettings(row: SettingsRow | null): BillingSettingsView {
  if (!row) return { billingEmail: null, companyName: null, address: null, taxId: null, updatedAt: null };
  return {
    billingEmail: row.billingEmail,
    companyName: row.companyName,
    address: row.address,
    taxId: row.taxId,
    updatedAt: row.updatedAt.toISOString(),
  };
}
