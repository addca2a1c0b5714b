import { css } from 'lit';

export const styles = css`
  :host { display: block; }
  section.card, form { display: grid; gap: 0.75rem; }
  textarea { font-family: var(--sy-mono); font-size: 0.85rem; min-height: 3.6rem; }
  .answer { display: grid; gap: 0.35rem; padding: 0.7rem 0.8rem; border-radius: 8px; background: #f7f8fa; border: 1px solid var(--sy-border); }
  .sentence { font-weight: 500; word-break: break-word; }
`;
