import { css } from 'lit';

export const styles = css`
  :host { display: block; }
  section.card { display: grid; gap: 1rem; }
  .section-head { display: flex; align-items: center; gap: 0.6rem; flex-wrap: wrap; }
  .section-head h2 { flex: 1; }
  .actions { display: flex; gap: 0.55rem; flex-wrap: wrap; align-items: flex-start; padding-top: 0.2rem; }
  .action { display: grid; gap: 0.25rem; max-width: 17rem; justify-items: start; }
  .why { font-size: 0.78rem; color: var(--sy-muted); }
  .blocked { font-size: 0.8rem; color: #7d1219; margin: 0.1rem 0 0; padding-left: 1rem; }
`;
