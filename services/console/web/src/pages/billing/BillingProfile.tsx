import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, call, GatehouseError } from '../../api/client';
import type { FieldProblem } from '../../api/errors';
import { LoadError, Loading, Notice } from '../../components/feedback';
import { Field, FormError, formValues, SelectField, SubmitButton } from '../../components/forms';
import { BILLING_SETTINGS, type BillingSettings, billingSettingsKey, useBillingSettings } from './billing-api';
import { TAX_ID_LABELS } from './format';

type ProfileBody = Omit<BillingSettings, 'updatedAt'>;
type TaxIdType = keyof typeof TAX_ID_LABELS;

const TAX_ID_OPTIONS = [
  { value: '', label: 'None' },
  ...Object.entries(TAX_ID_LABELS).map(([value, label]) => ({ value, label })),
];
/** The inputs, named as the body's fields (`address.city`, `taxId.value`): a 400 names them so. */
const FIELD_NAMES = [
  'billingEmail',
  'companyName',
  'address.line1',
  'address.line2',
  'address.city',
  'address.postalCode',
  'address.state',
  'address.country',
  'taxId.type',
  'taxId.value',
] as const;

/** The billing profile Stripe puts on invoices: owners edit it, other members read it. */
export function BillingProfile({ organizationId, canManage }: { organizationId: string; canManage: boolean }) {
  const settings = useBillingSettings(organizationId);
  return (
    <section className="section" aria-labelledby="billing-profile-heading">
      <h2 id="billing-profile-heading">Billing profile</h2>
      {settings.isPending ? (
        <Loading what="Loading the billing profile" />
      ) : settings.isError ? (
        <LoadError error={settings.error} retry={() => settings.refetch()} />
      ) : canManage ? (
        <ProfileForm organizationId={organizationId} settings={settings.data} />
      ) : (
        <ProfileDetails settings={settings.data} />
      )}
    </section>
  );
}

function ProfileDetails({ settings }: { settings: BillingSettings }) {
  const none = <span className="muted">Not set</span>;
  const { address, taxId } = settings;
  return (
    <>
      <dl className="details">
        <dt>Billing email</dt>
        <dd>{settings.billingEmail ?? none}</dd>
        <dt>Company</dt>
        <dd>{settings.companyName ?? none}</dd>
        <dt>Address</dt>
        <dd>
          {address
            ? [address.line1, address.line2, `${address.postalCode} ${address.city}`, address.state, address.country]
                .filter(Boolean)
                .join(', ')
            : none}
        </dd>
        <dt>Tax id</dt>
        <dd>{taxId ? `${TAX_ID_LABELS[taxId.type]}: ${taxId.value}` : none}</dd>
      </dl>
      <p className="muted">Owners change the billing profile.</p>
    </>
  );
}

/** The body as the PUT wants it: every field, null for what is left empty. */
function profileBodyOf(form: HTMLFormElement): ProfileBody {
  const values = formValues(form);
  const text = (name: (typeof FIELD_NAMES)[number]) => (values[name] ?? '').trim() || null;
  const addressParts = ['address.line1', 'address.line2', 'address.city', 'address.postalCode', 'address.state'];
  const anyAddress = addressParts.some((name) => text(name as (typeof FIELD_NAMES)[number]));
  const taxIdType = text('taxId.type') as TaxIdType | null;
  return {
    billingEmail: text('billingEmail'),
    companyName: text('companyName'),
    address: anyAddress
      ? {
          line1: text('address.line1') ?? '',
          line2: text('address.line2'),
          city: text('address.city') ?? '',
          postalCode: text('address.postalCode') ?? '',
          state: text('address.state'),
          country: (text('address.country') ?? '').toUpperCase(),
        }
      : null,
    taxId: taxIdType ? { type: taxIdType, value: (text('taxId.value') ?? '').toUpperCase() } : null,
  };
}

/**
 * A 400's problems by the input they belong to (`body.taxId.value` → `taxId.value`); one naming a
 * whole object (`address`) goes to its first input.
 */
function profileErrorsOf(error: unknown): { byField: Record<string, string>; unplaced: boolean } {
  if (!(error instanceof GatehouseError)) return { byField: {}, unplaced: Boolean(error) };
  const problems = (error.meta?.errors ?? []) as FieldProblem[];
  const byField: Record<string, string> = {};
  let unplaced = problems.length === 0;
  for (const problem of problems) {
    const name = (problem.field ?? '').replace(/^(body)[./]?/, '').replace(/\//g, '.');
    const field =
      FIELD_NAMES.find((known) => known === name) ?? FIELD_NAMES.find((known) => known.startsWith(`${name}.`));
    if (field && problem.error) byField[field] ??= problem.error;
    else unplaced = true;
  }
  return { byField, unplaced };
}

function ProfileForm({ organizationId, settings }: { organizationId: string; settings: BillingSettings }) {
  const queryClient = useQueryClient();
  const [saved, setSaved] = useState(false);
  const [taxIdType, setTaxIdType] = useState<string>(settings.taxId?.type ?? '');
  const update = useMutation({
    mutationFn: (body: ProfileBody) => call(api.PUT(BILLING_SETTINGS, { params: { path: { organizationId } }, body })),
    onMutate: () => setSaved(false),
    onSuccess: (updated) => {
      queryClient.setQueryData(billingSettingsKey(organizationId), updated);
      setSaved(true);
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    update.mutate(profileBodyOf(event.currentTarget));
  };
  const { byField, unplaced } = profileErrorsOf(update.error);
  const { address, taxId } = settings;
  return (
    // A new key after each save: the inputs start again from what the API now holds.
    <form key={settings.updatedAt ?? 'new'} onSubmit={submit} noValidate>
      {saved ? <Notice kind="success">Billing profile saved.</Notice> : null}
      {unplaced ? <FormError error={update.error} /> : null}
      <Field
        name="billingEmail"
        label="Billing email"
        type="email"
        autoComplete="email"
        maxLength={320}
        defaultValue={settings.billingEmail ?? ''}
        hint="Where Stripe sends invoices and receipts."
        error={byField.billingEmail}
      />
      <Field
        name="companyName"
        label="Company name"
        autoComplete="organization"
        maxLength={200}
        defaultValue={settings.companyName ?? ''}
        error={byField.companyName}
      />
      <fieldset className="billing-address">
        <legend>Address (optional)</legend>
        <Field
          name="address.line1"
          label="Street address"
          autoComplete="address-line1"
          maxLength={200}
          defaultValue={address?.line1 ?? ''}
          error={byField['address.line1']}
        />
        <Field
          name="address.line2"
          label="Address line 2 (optional)"
          autoComplete="address-line2"
          maxLength={200}
          defaultValue={address?.line2 ?? ''}
          error={byField['address.line2']}
        />
        <div className="form-row billing-address-row">
          <Field
            name="address.postalCode"
            label="Postal code"
            autoComplete="postal-code"
            maxLength={20}
            defaultValue={address?.postalCode ?? ''}
            error={byField['address.postalCode']}
          />
          <Field
            name="address.city"
            label="City"
            autoComplete="address-level2"
            maxLength={100}
            defaultValue={address?.city ?? ''}
            error={byField['address.city']}
          />
        </div>
        <div className="form-row billing-address-row">
          <Field
            name="address.state"
            label="State or region (optional)"
            autoComplete="address-level1"
            maxLength={100}
            defaultValue={address?.state ?? ''}
            error={byField['address.state']}
          />
          <Field
            name="address.country"
            label="Country code"
            autoComplete="country"
            maxLength={2}
            spellCheck={false}
            defaultValue={address?.country ?? ''}
            hint="Two letters (ISO 3166-1), like DE or US."
            error={byField['address.country']}
          />
        </div>
      </fieldset>
      <div className="form-row">
        <SelectField
          name="taxId.type"
          label="Tax id"
          options={TAX_ID_OPTIONS}
          value={taxIdType}
          onChange={(event) => setTaxIdType(event.target.value)}
          error={byField['taxId.type']}
        />
        {taxIdType ? (
          <Field
            name="taxId.value"
            label="Tax id number"
            autoComplete="off"
            spellCheck={false}
            maxLength={64}
            defaultValue={taxId?.value ?? ''}
            error={byField['taxId.value']}
          />
        ) : null}
      </div>
      <div className="actions">
        <SubmitButton pending={update.isPending}>Save billing profile</SubmitButton>
      </div>
    </form>
  );
}
