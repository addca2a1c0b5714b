import { css } from 'lit';

export const styles = css`
  :host { display: grid; gap: 1.1rem; }
  .top { display: flex; gap: 1rem; align-items: flex-end; flex-wrap: wrap; }
  form { display: flex; gap: 0.6rem; flex-wrap: wrap; align-items: flex-end; }
  form .field label { font-size: 0.76rem; color: var(--sy-muted); }
  .verify { display: flex; gap: 0.6rem; align-items: center; }
  .chain { font-family: var(--sy-mono); font-size: 0.8rem; }
`;
