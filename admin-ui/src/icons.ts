import { html } from 'lit';

/** The power symbol of the kill switch, drawn (not a font glyph, which many fonts lack). */
export const powerIcon = html`<svg width="1em" height="1em" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2.6" stroke-linecap="round"><path d="M12 3v8" /><path d="M6.6 6.6a8 8 0 1 0 10.8 0" /></svg>`;
