import { css } from 'lit';

export const styles = css`
  :host { display: block; }
  section.card { display: grid; gap: 0.8rem; }
  .head { display: flex; align-items: center; gap: 0.6rem; flex-wrap: wrap; }
  .head h2 { flex: 1; }
  .head select { font-size: 0.84rem; padding: 0.25rem 0.45rem; }
  .total { font-size: 0.95rem; }
  .table { overflow-x: auto; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
  th, td { padding: 0.45rem 0.6rem; font-size: 0.88rem; }
  tr.current td:first-child { font-weight: 650; }
`;
