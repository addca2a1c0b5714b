import { css } from 'lit';

export const styles = css`
  :host { display: grid; gap: 0.8rem; }
  .hero { display: grid; grid-template-columns: 1fr auto; gap: 1rem 1.5rem; align-items: start; }
  .hero.killed { border-color: #f0b8bb; box-shadow: 0 0 0 3px var(--sy-danger-soft); }
  .title { display: flex; align-items: center; gap: 0.7rem; flex-wrap: wrap; }
  .meta { display: flex; gap: 1.2rem; flex-wrap: wrap; font-size: 0.86rem; color: var(--sy-muted); margin-top: 0.45rem; }
  .meta strong { color: var(--sy-text); font-weight: 600; }
  .desc { margin-top: 0.35rem; color: #384252; max-width: 60ch; }
  .kill { display: grid; gap: 0.35rem; justify-items: end; text-align: right; }
  .kill button { font-size: 1rem; padding: 0.7rem 1.2rem; border-radius: 10px; }
  .kill button.danger { box-shadow: 0 2px 0 var(--sy-danger-strong); }
  .kill .note { max-width: 18rem; }
  @media (max-width: 900px) { .hero { grid-template-columns: 1fr; } .kill { justify-items: start; text-align: left; } }
`;
