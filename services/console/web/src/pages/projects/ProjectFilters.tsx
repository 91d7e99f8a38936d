import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Field, SelectField } from '../../components/forms';
import { type ListParams, MAX_SEARCH_LENGTH, SORT_OPTIONS } from './list-params';
import { isProjectStatus, STATUS_OPTIONS } from './project-parts';

const SEARCH_PAUSE_MS = 300;
const STATUS_FILTER_OPTIONS = [{ value: '', label: 'Any status' }, ...STATUS_OPTIONS];

/** Search (applied when typing pauses, or at once on Enter), sort and status filter. */
export function ProjectFilters({
  params,
  onChange,
}: {
  params: ListParams;
  onChange: (change: Partial<ListParams>) => void;
}) {
  const [text, setText] = useState(params.q);
  // The search this box last sent to the URL: any other change of `q` came from elsewhere (back, a link, Clear).
  const sent = useRef(params.q);

  useEffect(() => {
    if (params.q !== sent.current) {
      sent.current = params.q;
      setText(params.q);
    }
  }, [params.q]);

  useEffect(() => {
    const wanted = text.trim();
    if (wanted === sent.current) return;
    const timer = setTimeout(() => {
      sent.current = wanted;
      onChange({ q: wanted });
    }, SEARCH_PAUSE_MS);
    return () => clearTimeout(timer);
  }, [text, onChange]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    sent.current = text.trim();
    onChange({ q: sent.current });
  };

  return (
    <search aria-label="Projects">
      <form className="toolbar" onSubmit={submit} noValidate>
        <Field
          name="q"
          label="Search"
          type="search"
          placeholder="Part of a name"
          autoComplete="off"
          maxLength={MAX_SEARCH_LENGTH}
          value={text}
          onChange={(event) => setText(event.target.value)}
        />
        <SelectField
          name="sort"
          label="Sort"
          options={SORT_OPTIONS}
          value={params.sort}
          onChange={(event) => {
            const sort = SORT_OPTIONS.find((option) => option.value === event.target.value)?.value;
            if (sort) onChange({ sort });
          }}
        />
        <SelectField
          name="status"
          label="Status"
          options={STATUS_FILTER_OPTIONS}
          value={params.status}
          onChange={(event) => {
            const status = event.target.value;
            onChange({ status: isProjectStatus(status) ? status : '' });
          }}
        />
      </form>
    </search>
  );
}
