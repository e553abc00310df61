// Runs in: the browser (the web console).
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

interface ConfirmProps {
  title: string;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  children: ComponentChildren;
}

/** A modal question before a change that cannot be undone; Escape or Cancel leaves things as they are. */
export function Confirm({ title, confirmLabel, onConfirm, onCancel, children }: ConfirmProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const el = dialog.current;
    // The browser gives focus back when a dialog closes, but this one leaves the page as it
    // closes, and focus fell to the page's start: a keyboard user lost their place.
    const opener = document.activeElement;
    if (el && !el.open) el.showModal();
    return () => {
      el?.close();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog ref={dialog} class="confirm" aria-label={title} onCancel={onCancel}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          onConfirm();
        }}
      >
        <h2>{title}</h2>
        {children}
        <div class="actions">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" class="danger">
            {confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
