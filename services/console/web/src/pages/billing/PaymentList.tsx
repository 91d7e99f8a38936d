import { LoadError, Loading } from '../../components/feedback';
import { EmptyList, Pager, usePagedQuery } from '../../components/Pager';
import { formatDate } from '../../components/When';
import { fetchPayments, type Payment, paymentsKey } from './billing-api';
import { formatAmount, PAYMENT_STATUS_LABELS } from './format';

/** The organization's invoices, newest first, with Stripe's invoice page and PDF. */
export function PaymentList({ organizationId }: { organizationId: string }) {
  const { pages, query } = usePagedQuery(paymentsKey(organizationId), (cursor) =>
    fetchPayments(organizationId, cursor),
  );
  return (
    <section className="section" aria-labelledby="billing-payments-heading">
      <h2 id="billing-payments-heading">Payments</h2>
      {query.isPending ? (
        <Loading what="Loading payments" />
      ) : query.isError ? (
        <LoadError error={query.error} retry={() => query.refetch()} />
      ) : query.data.items.length === 0 ? (
        <EmptyList pages={pages} nextCursor={query.data.nextCursor}>
          No payments yet. Invoices appear here once a paid plan bills.
        </EmptyList>
      ) : (
        <>
          <div className="table-wrap">
            <table className="billing-payments">
              <caption className="visually-hidden">Payments, newest first, page {pages.page}</caption>
              <thead>
                <tr>
                  <th scope="col">Date</th>
                  <th scope="col">Number</th>
                  <th scope="col">Status</th>
                  <th scope="col">Amount</th>
                  <th scope="col">
                    <span className="visually-hidden">Invoice</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {query.data.items.map((payment) => (
                  <PaymentRow key={payment.id} payment={payment} />
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            pages={pages}
            nextCursor={query.data.nextCursor}
            label="Pages of payments"
            busy={query.isPlaceholderData}
          />
        </>
      )}
    </section>
  );
}

function PaymentRow({ payment }: { payment: Payment }) {
  const status = PAYMENT_STATUS_LABELS[payment.status];
  const name = payment.number ?? payment.id;
  // What was paid once paid; what is asked until then.
  const amount = payment.status === 'paid' ? payment.amountPaid : payment.amountDue;
  return (
    <tr data-testid="payment-row">
      <td>
        <time dateTime={payment.createdAt}>{formatDate(payment.createdAt)}</time>
      </td>
      <td className="billing-invoice-number">{payment.number ?? <span className="muted">—</span>}</td>
      <td>
        <span className={status.className}>{status.label}</span>
      </td>
      <td className="billing-amount">{formatAmount(amount, payment.currency)}</td>
      <td>
        <div className="row-actions">
          {payment.hostedInvoiceUrl ? (
            <a href={payment.hostedInvoiceUrl} rel="noreferrer" aria-label={`Invoice ${name} on Stripe`}>
              Invoice
            </a>
          ) : null}
          {payment.invoicePdfUrl ? (
            <a href={payment.invoicePdfUrl} rel="noreferrer" aria-label={`PDF of invoice ${name}`}>
              PDF
            </a>
          ) : null}
        </div>
      </td>
    </tr>
  );
}
