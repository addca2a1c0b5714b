/**
 * What an action dialog asks and does: the specs beside it (flag-actions.ts, bulk-actions.ts,
 * undo-kill.ts) build one per action, and a component opens the dialog with it by emitting
 * `sy-open-action`.
 */
import type { TemplateResult } from 'lit';
import type { ActionResult } from './action-result.js';

export interface ActionSpec {
  title: string;
  intro?: string;
  fieldLabel: string;
  fieldHint?: string;
  submitLabel: string;
  danger?: boolean;
  /** A checkbox the user must tick before submitting. */
  confirm?: string;
  /** A select shown above the text field; `value` is the option chosen at first. */
  choice?: { label: string; options: Array<{ value: string; label: string }>; value?: string };
  /** Shown under the choice and redrawn when it changes: e.g. which flags a bulk kill will touch. */
  preview?(choice: string | undefined): TemplateResult;
  run(text: string, choice: string | undefined): Promise<ActionResult>;
}
