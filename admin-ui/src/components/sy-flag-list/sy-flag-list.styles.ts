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
  .empty { padding: 2.5rem; text-align: center; color: var(--sy-muted); }
  .count { font-size: 0.84rem; color: var(--sy-muted); }
  .badge.stale { color: #5b4a1f; background: #f6f1e3; border-color: #e3d6b0; margin-top: 0.3rem; white-space: normal; }
`;
