import { css } from 'lit';

export const styles = css`
  :host { display: block; }
  form { display: grid; gap: 1rem; }
  textarea { font-family: var(--sy-mono); font-size: 0.8rem; min-height: 7rem; word-break: break-all; }
  .lead { color: var(--sy-muted); }
`;
