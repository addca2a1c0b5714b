import { css } from 'lit';

export const styles = css`
  :host { display: grid; gap: 1.1rem; }
  .top { display: flex; align-items: flex-end; gap: 0.6rem 1rem; flex-wrap: wrap; }
  .table { padding: 0; overflow: hidden; }
  th .prot { font-weight: 500; color: var(--sy-danger-strong); font-size: 0.78rem; }
  td.env .env-name { display: none; }
  td.env .badge { margin-top: 0.2rem; }
  .diffs { margin: 0; padding-left: 1.1rem; display: grid; gap: 0.15rem; font-size: 0.86rem; }
  .diffs [data-kind='killed'] { color: var(--sy-danger-strong); }
  .diffs [data-kind='hotfix'], .diffs [data-kind='behind'] { color: #8a5a00; }
  .same { color: var(--sy-ok); font-size: 0.86rem; }
  .empty { padding: 2rem; text-align: center; color: var(--sy-muted); }
  /* A phone: each flag a card; environments one per line. */
  @media (max-width: 720px) {
    table, tbody { display: block; }
    thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    tbody tr { display: grid; gap: 0.35rem; padding: 0.8rem 0.9rem; border-bottom: 1px solid var(--sy-border); }
    td { display: block; padding: 0; border: none; min-width: 0; }
    td.env { font-size: 0.84rem; }
    td.env .env-name { display: inline; font-weight: 600; }
  }
`;
