import { css } from 'lit';

export const styles = css`
  :host { display: grid; gap: 1.1rem; }
  .top { display: flex; align-items: flex-end; gap: 1rem; flex-wrap: wrap; }
  .top p { margin-top: 0.25rem; }
  .filters { display: flex; gap: 0.6rem; flex-wrap: wrap; align-items: flex-end; padding: 0.85rem 1rem; }
  .filters .field { gap: 0.2rem; }
  .filters label { font-size: 0.76rem; color: var(--sy-muted); font-weight: 600; }
  .filters input[type='search'] { width: 16rem; }
  .table { padding: 0; overflow: hidden; }
  tbody tr:hover { background: #fafbfc; }
  tbody tr:last-child td { border-bottom: none; }
  tr.is-killed { background: #fff8f8; }
  tr.is-killed:hover { background: #fff1f1; }
  .key { font-weight: 650; font-size: 0.95rem; }
  .desc { color: var(--sy-muted); font-size: 0.84rem; max-width: 26rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .stage { display: grid; gap: 0.3rem; min-width: 9rem; }
  .bar { height: 6px; border-radius: 99px; background: #e7eaef; overflow: hidden; width: 8rem; }
  .bar span { display: block; height: 100%; background: var(--sy-accent); }
  .bar.killed span { background: #d9a0a4; }
  .tags { display: flex; gap: 0.25rem; flex-wrap: wrap; margin-top: 0.2rem; }
  td.act { text-align: right; white-space: nowrap; }
  /* One column per environment; the chosen one is marked, the protected one named so. */
  th.env.chosen, td.env.chosen { background: color-mix(in srgb, var(--sy-accent) 7%, transparent); }
  th .prot { font-weight: 500; color: var(--sy-danger-strong); font-size: 0.78rem; }
  td.env .env-name { display: none; }
  td.env .badge { margin-top: 0.2rem; }
  .empty { padding: 2.5rem; text-align: center; color: var(--sy-muted); }
  .count { font-size: 0.84rem; color: var(--sy-muted); }
  /* A phone: each flag a card, its kill switch top right, nothing scrolls sideways. */
  @media (max-width: 720px) {
    .filters input[type='search'] { width: 100%; }
    .filters .field { flex: 1 1 9rem; min-width: 0; }
    table, tbody { display: block; }
    thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    tbody tr { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 0.4rem 0.75rem; padding: 0.8rem 0.9rem; border-bottom: 1px solid var(--sy-border); align-items: center; }
    td { display: block; padding: 0; border: none; min-width: 0; }
    td:first-child { grid-column: 1; grid-row: 1; }
    td.act { grid-column: 2; grid-row: 1 / span 2; align-self: start; }
    td.act button { min-height: 2.75rem; padding: 0.5rem 0.85rem; font-size: 0.9rem; }
    td.owner, td.changed { grid-column: 1 / -1; font-size: 0.8rem; color: var(--sy-muted); }
    td.changed .small { display: inline; }
    td.changed .small::before { content: ' '; }
    .key { word-break: break-word; }
    .desc { max-width: none; white-space: normal; }
    .stage { min-width: 0; }
    .bar { width: 100%; max-width: 12rem; }
    td.env { grid-column: 1 / -1; font-size: 0.84rem; }
    td.env .env-name { display: inline; font-weight: 600; }
  }
  .badge.stale { color: #5b4a1f; background: #f6f1e3; border-color: #e3d6b0; margin-top: 0.3rem; white-space: normal; }
  .more { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: center; justify-content: space-between; padding: 0.75rem 0.9rem; border-top: 1px solid var(--sy-border); }
`;
