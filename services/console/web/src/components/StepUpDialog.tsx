import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api, call } from '../api/client';
import { messageOf } from '../api/errors';
import { registerStepUpPrompt } from '../api/step-up';
import { MfaStep } from './MfaStep';

/**
 * The one step-up prompt of the signed-in console (mounted by AppLayout): when a call is refused for a
 * second factor older than 10 minutes, this opens a dialog (POST /api/user/mfa/step-up, then the
 * factor), and the refused call is sent again once it is answered. Cancelling leaves the refusal as is.
 */
export function StepUpDialog() {
  const dialog = useRef<HTMLDialogElement>(null);
  const settle = useRef<((done: boolean) => void) | null>(null);
  const [open, setOpen] = useState(false);
  const [restartedBecause, setRestartedBecause] = useState<string | null>(null);
  const start = useMutation({ mutationFn: () => call(api.POST('/api/user/mfa/step-up', { body: {} })) });
  const { mutate: startChallenge, reset: resetChallenge } = start;

  useEffect(() => {
    registerStepUpPrompt(
      () =>
        new Promise<boolean>((resolve) => {
          settle.current = resolve;
          setRestartedBecause(null);
          setOpen(true);
          startChallenge();
        }),
    );
    return () => {
      registerStepUpPrompt(null);
      settle.current?.(false);
    };
  }, [startChallenge]);

  useEffect(() => {
    if (open && !dialog.current?.open) dialog.current?.showModal();
    if (!open && dialog.current?.open) dialog.current.close();
  }, [open]);

  const finish = (done: boolean) => {
    const resolve = settle.current;
    settle.current = null;
    setOpen(false);
    resetChallenge();
    resolve?.(done);
  };

  return (
    <dialog
      ref={dialog}
      className="dialog step-up-dialog"
      aria-labelledby="step-up-heading"
      // Esc closes a modal dialog by itself: that is a cancel.
      onClose={() => {
        if (settle.current) finish(false);
      }}
    >
      <h2 id="step-up-heading">Confirm it is you</h2>
      <div className="dialog-body">
        <p>This needs your second factor: this session has not used it recently.</p>
        {restartedBecause ? <p className="muted">{restartedBecause}</p> : null}
        {start.isPending ? <p role="status">Preparing…</p> : null}
        {start.isError ? (
          <div className="notice notice-error" role="alert">
            {messageOf(start.error)}
          </div>
        ) : null}
        {open && start.data ? (
          <MfaStep
            key={start.data.challengeId}
            challenge={start.data}
            submitLabel="Confirm"
            onVerified={() => finish(true)}
            onExpired={(why) => {
              setRestartedBecause(why);
              startChallenge();
            }}
          />
        ) : null}
      </div>
      <div className="actions">
        <button type="button" className="button" onClick={() => finish(false)}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
