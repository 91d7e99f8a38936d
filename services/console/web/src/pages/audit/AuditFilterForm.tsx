import type { FormEvent } from 'react';
import { Field, formValues, SelectField } from '../../components/forms';
import type { AuditFilters } from './audit-api';
import { MAX_SEARCH_LENGTH } from './audit-filters';
import { familyLabel, familyPattern } from './families';

/** Family, search text and a range of days: applied together with the button, so typing moves nothing. */
export function AuditFilterForm({
  label,
  families,
  filters,
  onApply,
}: {
  label: string;
  families: readonly string[];
  filters: AuditFilters;
  onApply: (filters: AuditFilters) => void;
}) {
  const options = [
    { value: '', label: 'Every action' },
    ...families.map((family) => ({ value: familyPattern(family), label: familyLabel(family) })),
  ];
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const values = formValues(event.currentTarget);
    onApply({
      action: values.action ?? '',
      q: (values.q ?? '').trim(),
      since: values.since ?? '',
      until: values.until ?? '',
    });
  };
  const filtered = Object.values(filters).some(Boolean);
  return (
    <search aria-label={label}>
      {/* Keyed by the filters: a Clear or a Back shows what the list now holds. */}
      <form className="toolbar audit-filters" onSubmit={submit} noValidate key={JSON.stringify(filters)}>
        <SelectField name="action" label="Action" options={options} defaultValue={filters.action} />
        <Field
          name="q"
          label="Search"
          type="search"
          placeholder="Actor, target, IP, request id"
          autoComplete="off"
          maxLength={MAX_SEARCH_LENGTH}
          defaultValue={filters.q}
        />
        <Field name="since" label="From" type="date" defaultValue={filters.since} />
        <Field name="until" label="To (included)" type="date" defaultValue={filters.until} />
        <div className="actions">
          <button type="submit" className="button button-primary">
            Apply filters
          </button>
          {filtered ? (
            <button
              type="button"
              className="button"
              onClick={() => onApply({ action: '', q: '', since: '', until: '' })}
            >
              Clear
            </button>
          ) : null}
        </div>
      </form>
    </search>
  );
}
