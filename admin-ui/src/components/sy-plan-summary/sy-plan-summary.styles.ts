import { css } from 'lit';

export const styles = css`
  .plan-stage { display: grid; grid-template-columns: 4.5rem 1fr; gap: 0.6rem; padding: 0.55rem 0; border-top: 1px solid var(--sy-border); font-size: 0.88rem; }
  .plan-stage:first-of-type { border-top: none; }
  .p { font-weight: 700; font-size: 1rem; }
  ul { margin: 0.2rem 0 0; padding-left: 1.1rem; color: #3a4453; }
`;
