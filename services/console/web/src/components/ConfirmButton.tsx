import { type ReactNode, useRef } from 'react';

interface ConfirmButtonProps {
  /** The button's text, e.g. "Delete". */
  label: string;
  /** Names what is acted on, for screen readers, e.g. "Delete project Apollo". */
  accessibleLabel?: string;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  pending?: boolean;
  danger?: boolean;
}

/** A destructive action behind a native modal dialog (focus trapped, Esc cancels). */
export function ConfirmButton(props: ConfirmButtonProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const close = () => dialog.current?.close();
  return (
    <>
      <button
        type="button"
        className={`button button-small${props.danger === false ? '' : ' button-danger'}`}
        aria-label={props.accessibleLabel}
        disabled={props.pending}
        onClick={() => dialog.current?.showModal()}
      >
        {props.label}
      </button>
      <dialog ref={dialog} className="dialog" aria-labelledby={undefined} aria-label={props.title}>
        <h2>{props.title}</h2>
        <div className="dialog-body">{props.children}</div>
        <div className="actions">
          <button type="button" className="button" onClick={close}>
            Cancel
          </button>
          <button
            type="button"
            className={`button ${props.danger === false ? 'button-primary' : 'button-danger'}`}
            onClick={() => {
              close();
              props.onConfirm();
            }}
          >
            {props.confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}
