import { css } from 'lit';

export const styles = css`
  :host { display: block; }
  form { display: grid; gap: 1rem; }
  textarea { font-family: var(--sy-mono); font-size: 0.8rem; min-height: 7rem; word-break: break-all; }
  .lead { color: var(--sy-muted); }
  a.sso { display: inline-block; text-align: center; text-decoration: none; background: var(--sy-accent); border-color: var(--sy-accent); color: #fff; padding: 0.6rem 1rem; }
  details.break-glass summary { cursor: pointer; color: var(--sy-muted); }
  details.break-glass[open] summary { margin-bottom: 0.75rem; }
`;
