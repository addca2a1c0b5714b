import { css } from 'lit';

export const styles = css`
  :host { display: grid; gap: 1.1rem; }
  .crumb { font-size: 0.86rem; }
  .cols { display: grid; grid-template-columns: minmax(0, 1fr) 320px; gap: 1.1rem; align-items: start; }
  @media (max-width: 900px) { .cols { grid-template-columns: 1fr; } }
  section.card { display: grid; gap: 1rem; }
  .section-head { display: flex; align-items: center; gap: 0.6rem; flex-wrap: wrap; }
  .section-head h2 { flex: 1; }
  .envs { padding: 0.5rem 0.75rem; }
  .envs ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.4rem 0.6rem; }
  .envs a { display: inline-flex; align-items: center; gap: 0.4rem; flex-wrap: wrap; padding: 0.3rem 0.6rem; border-radius: 8px; border: 1px solid var(--sy-border); color: var(--sy-text); }
  .envs a[aria-current='page'] { border-color: var(--sy-accent); box-shadow: inset 0 0 0 1px var(--sy-accent); }
  .envs li.protected strong { color: var(--sy-danger-strong); }
  .why { font-size: 0.78rem; color: var(--sy-muted); }
`;
