import { css } from 'lit';

export const styles = css`
  :host { display: grid; gap: 1.1rem; }
  form { display: flex; gap: 0.6rem; align-items: flex-end; flex-wrap: wrap; }
  .secret { display: flex; gap: 0.6rem; align-items: center; flex-wrap: wrap; }
  .secret code { background: #fff; padding: 0.35rem 0.55rem; border-radius: 6px; border: 1px solid #b7e2c8; word-break: break-all; }
  .card.table { padding: 0; overflow: hidden; }
  tbody tr:last-child td { border-bottom: none; }
`;
