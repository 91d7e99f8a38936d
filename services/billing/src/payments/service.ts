import type { Payment } from '@gatehouse/contracts';
import { findRowsPage, type PageRequest, type TenantAccess } from '@gatehouse/service-kit';
import type { Static } from 'typebox';
import { type BillingContext, readEm } from '../context.js';

type PaymentView = Static<typeof Payment>;

/** An invoices row as PostgreSQL returns it (bigint as text). */
interface InvoiceRow {
  id: string;
  number: string | null;
  status: PaymentView['status'];
  currency: string;
  amount_due: string | number;
  amount_paid: string | number;
  period_start: Date | string | null;
  period_end: Date | string | null;
  hosted_invoice_url: string | null;
  invoice_pdf_url: string | null;
  paid_at: Date | string | null;
  stripe_created: Date | string;
}

const COLUMNS =
  'id, number, status, currency, amount_due, amount_paid, period_start, period_end, hosted_invoice_url, invoice_pdf_url, paid_at, stripe_created';

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

function presentPayment(row: InvoiceRow): PaymentView {
  return {
    id: row.id,
    number: row.number,
    status: row.status,
    currency: row.currency,
    amountDue: Number(row.amount_due),
    amountPaid: Number(row.amount_paid),
    periodStart: iso(row.period_start),
    periodEnd: iso(row.period_end),
    hostedInvoiceUrl: row.hosted_invoice_url,
    invoicePdfUrl: row.invoice_pdf_url,
    paidAt: iso(row.paid_at),
    createdAt: new Date(row.stripe_created).toISOString(),
  };
}

/**
 * The organization's invoices as last read from Stripe, newest first by default. `createdAt` is when Stripe made
 * the invoice. In local mode there are none: the table is only written from Stripe.
 */
export async function listPayments(ctx: BillingContext, tenant: TenantAccess, query: PageRequest) {
  const page = await findRowsPage<InvoiceRow>(
    readEm(ctx),
    {
      select: COLUMNS,
      from: 'invoices',
      where: 'organization_id = ?',
      params: [tenant.organizationId],
      id: 'id',
      sortable: {
        createdAt: { column: 'stripe_created', kind: 'date' },
        amountDue: { column: 'amount_due', kind: 'string' },
      },
      defaultSort: '-createdAt',
    },
    query,
  );
  return { items: page.items.map(presentPayment), meta: page.meta };
}
