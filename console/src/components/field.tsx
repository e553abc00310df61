// Runs in: the browser (the web console).
import type { ComponentChildren } from 'preact';

interface FieldProps {
  id: string;
  label: string;
  hint?: string;
  /** The message to show at this field (from the API, or a local check). */
  error?: string;
  /** A group of checkboxes: a fieldset named by a legend instead of a label. */
  group?: boolean;
  children: ComponentChildren;
}

/** A labelled form control with its hint and its error beneath; the control gets `id`. */
export function Field({ id, label, hint, error, group, children }: FieldProps) {
  const Box = group ? 'fieldset' : 'div';
  return (
    <Box class={`field${error ? ' invalid' : ''}`} data-field={id}>
      {group ? <legend>{label}</legend> : <label for={id}>{label}</label>}
      {children}
      {hint ? (
        <small id={`${id}-hint`} class="muted">
          {hint}
        </small>
      ) : null}
      {error ? (
        <small id={`${id}-error`} class="field-error" role="alert">
          {error}
        </small>
      ) : null}
    </Box>
  );
}
