import {
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
  useId,
} from 'react';
import { messageOf } from '../api/errors';

interface FieldFrameProps {
  id: string;
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  /** The control, given the ids of its hint and error to point at (aria-describedby). */
  children: (described: string | undefined) => ReactNode;
}

/** A label, the control, its hint and its error, tied together for screen readers. */
function FieldFrame({ id, label, error, hint, children }: FieldFrameProps) {
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(described || undefined)}
      {hint ? (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

interface FieldProps extends InputHTMLAttributes<HTMLInputElement> {
  name: string;
  label: string;
  /** The API's complaint about this field (fieldErrorsOf(error)[name]). */
  error?: string | undefined;
  hint?: ReactNode;
}

/** A labelled input; its hint and error are tied to it for screen readers. */
export function Field({ label, error, hint, id, ...input }: FieldProps) {
  const ownId = useId();
  const inputId = id ?? ownId;
  return (
    <FieldFrame id={inputId} label={label} error={error} hint={hint}>
      {(described) => (
        <input id={inputId} aria-invalid={error ? true : undefined} aria-describedby={described} {...input} />
      )}
    </FieldFrame>
  );
}

interface TextAreaFieldProps extends TextareaHTMLAttributes<HTMLTextAreaElement> {
  name: string;
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
}

/** Field's counterpart for several lines (a description, metadata XML, a PEM). */
export function TextAreaField({ label, error, hint, id, ...textarea }: TextAreaFieldProps) {
  const ownId = useId();
  const inputId = id ?? ownId;
  return (
    <FieldFrame id={inputId} label={label} error={error} hint={hint}>
      {(described) => (
        <textarea id={inputId} aria-invalid={error ? true : undefined} aria-describedby={described} {...textarea} />
      )}
    </FieldFrame>
  );
}

interface SelectFieldProps extends SelectHTMLAttributes<HTMLSelectElement> {
  name: string;
  label: string;
  error?: string | undefined;
  options: ReadonlyArray<{ value: string; label: string }>;
}

export function SelectField({ label, error, options, id, ...select }: SelectFieldProps) {
  const ownId = useId();
  const selectId = id ?? ownId;
  return (
    <FieldFrame id={selectId} label={label} error={error}>
      {(described) => (
        <select id={selectId} aria-invalid={error ? true : undefined} aria-describedby={described} {...select}>
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    </FieldFrame>
  );
}

/** The whole form's error (the API's message), announced when it appears. */
export function FormError({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <div className="notice notice-error" role="alert">
      {messageOf(error)}
    </div>
  );
}

export function SubmitButton({ pending, children }: { pending: boolean; children: ReactNode }) {
  return (
    <button type="submit" className="button button-primary" disabled={pending} aria-busy={pending || undefined}>
      {pending ? 'Working…' : children}
    </button>
  );
}

/** A form's inputs by name, as strings (FormData of a submit event). */
export function formValues(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of new FormData(form)) if (typeof value === 'string') values[name] = value;
  return values;
}
