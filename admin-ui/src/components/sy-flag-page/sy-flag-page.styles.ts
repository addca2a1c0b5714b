import { css } from 'lit';

export const styles = css`
  :host { display: grid; gap: 1.1rem; }
  .crumb { font-size: 0.86rem; }
  .cols { display: grid; grid-template-columns: minmax(0, 1fr) 320px; gap: 1.1rem; align-items: start; }
  @media (max-width: 900px) { .cols { grid-template-columns: 1fr; } }
  section.card { display: grid; gap: 1rem; }
  .section-head { display: flex; align-items: center; gap: 0.6rem; flex-wrap: wrap; }
  .section-head h2 { flex: 1; }
  .why { font-size: 0.78rem; color: var(--sy-muted); }
`;
