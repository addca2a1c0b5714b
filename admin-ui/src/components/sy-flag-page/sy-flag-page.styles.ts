import { css } from 'lit';

export const styles = css`
  :host { display: grid; gap: 1.1rem; }
  .crumb { font-size: 0.86rem; }
  .cols { display: grid; grid-template-columns: minmax(0, 1fr) 300px; gap: 1.1rem; align-items: start; }
  @media (max-width: 900px) { .cols { grid-template-columns: 1fr; } }
  section.card { display: grid; gap: 1rem; }
  .section-head { display: flex; align-items: center; gap: 0.6rem; flex-wrap: wrap; }
  .section-head h2 { flex: 1; }
  .actions { display: flex; gap: 0.55rem; flex-wrap: wrap; align-items: flex-start; padding-top: 0.2rem; }
  .action { display: grid; gap: 0.25rem; max-width: 17rem; justify-items: start; }
  .why { font-size: 0.78rem; color: var(--sy-muted); }
  .blocked { font-size: 0.8rem; color: #7d1219; margin: 0.1rem 0 0; padding-left: 1rem; }
  dl { margin: 0; display: grid; grid-template-columns: auto 1fr; gap: 0.45rem 0.9rem; font-size: 0.88rem; }
  dt { color: var(--sy-muted); }
  dd { margin: 0; word-break: break-word; }
  .value { font-family: var(--sy-mono); font-size: 0.85rem; background: #f3f5f8; padding: 0.05rem 0.35rem; border-radius: 5px; }
`;
