import { css } from 'lit';

export const styles = css`
  dialog { border: none; border-radius: 14px; padding: 1.2rem 1.3rem; width: min(520px, calc(100vw - 2rem)); box-shadow: 0 20px 50px rgb(15 23 42 / 28%); }
  dialog::backdrop { background: rgb(15 23 42 / 45%); }
  form { display: grid; gap: 0.8rem; }
  .two { display: grid; grid-template-columns: 1fr 1fr; gap: 0.7rem; }
`;
