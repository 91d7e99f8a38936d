import { useId, useState } from 'react';
import { familyLabel, familyPattern, ORGANIZATION_FAMILIES } from '../audit/families';
import { EVERY_EVENT } from './webhooks-api';

/**
 * What an endpoint subscribes to: every organization action (actions added later too), or some
 * families of them. Checked boxes are sent as `events` (a disabled box is not sent).
 */
export function EventChoices({ error }: { error: string | undefined }) {
  const id = useId();
  const [everything, setEverything] = useState(true);
  return (
    <fieldset aria-describedby={error ? `${id}-error` : `${id}-hint`}>
      <legend>Events</legend>
      <p className="field-hint" id={`${id}-hint`}>
        The audit log records to deliver. "Everything" includes actions Gatehouse adds later.
      </p>
      <label className="checkbox webhook-everything">
        <input
          type="checkbox"
          name="events"
          value={EVERY_EVENT}
          checked={everything}
          aria-invalid={error ? true : undefined}
          onChange={(event) => setEverything(event.target.checked)}
        />
        Everything ({EVERY_EVENT})
      </label>
      <div className="checkbox-grid webhook-families">
        {ORGANIZATION_FAMILIES.map((family) => (
          <label className="checkbox" key={family}>
            <input
              type="checkbox"
              name="events"
              value={familyPattern(family)}
              disabled={everything}
              aria-invalid={error ? true : undefined}
            />
            {familyLabel(family)}
          </label>
        ))}
      </div>
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}
