import { css } from 'lit';

export const styles = css`
  .bulk { display: flex; gap: 0.5rem 1rem; align-items: center; flex-wrap: wrap; padding: 0.7rem 1rem; }
  .label { display: grid; gap: 0.05rem; }
  .label strong { font-size: 0.9rem; }
  .buttons { display: flex; gap: 0.45rem; flex-wrap: wrap; }
  button.outline-danger { color: var(--sy-danger); border-color: #eab3b7; }
  button.outline-danger:hover:not(:disabled) { background: var(--sy-danger-soft); }
  .why { flex-basis: 100%; text-align: right; }
`;
