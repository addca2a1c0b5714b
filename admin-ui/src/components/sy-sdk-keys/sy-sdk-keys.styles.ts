import { css } from 'lit';

export const styles = css`
  :host { display: grid; gap: 1.1rem; }
  form { display: flex; gap: 0.6rem; align-items: flex-end; flex-wrap: wrap; }
  form .field { min-width: 0; }
  select { max-width: 100%; }
  .secret { display: flex; gap: 0.6rem; align-items: center; flex-wrap: wrap; }
  .secret code { background: #fff; padding: 0.35rem 0.55rem; border-radius: 6px; border: 1px solid #b7e2c8; word-break: break-all; }
  .card.table { padding: 0; overflow: hidden; }
  tbody tr:last-child td { border-bottom: none; }
  td.act { text-align: right; white-space: nowrap; }
  /* A phone: each key a card, its status and Revoke in view, nothing scrolls sideways. */
  @media (max-width: 720px) {
    form .field { flex: 1 1 100%; }
    table, tbody { display: block; }
    thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    tbody tr { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 0.35rem 0.75rem; padding: 0.8rem 0.9rem; border-bottom: 1px solid var(--sy-border); align-items: center; }
    td { display: block; padding: 0; border: none; min-width: 0; overflow-wrap: anywhere; }
    td.name { grid-column: 1; grid-row: 1; font-weight: 650; }
    td.act { grid-column: 2; grid-row: 1 / span 2; align-self: start; }
    td.act button { min-height: 2.75rem; padding: 0.5rem 0.85rem; font-size: 0.9rem; }
    td.status { grid-column: 1; grid-row: 2; }
    td.kind, td.prefix, td.created { grid-column: 1 / -1; font-size: 0.82rem; color: var(--sy-muted); }
    td.kind::before { content: 'Kind: '; }
    td.prefix::before { content: 'Prefix: '; }
    td.created::before { content: 'Created '; }
  }
`;
