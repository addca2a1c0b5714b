import { css } from 'lit';

export const styles = css`
  dialog { border: none; border-radius: 14px; padding: 0; width: min(580px, calc(100vw - 2rem)); box-shadow: 0 20px 50px rgb(15 23 42 / 28%); color: var(--sy-text); }
  dialog::backdrop { background: rgb(15 23 42 / 45%); }
  form { display: grid; gap: 0.85rem; padding: 1.15rem 1.3rem 1.2rem; }
  .two { display: grid; grid-template-columns: 1fr 1fr; gap: 0.7rem; }
  textarea.value { font-family: var(--sy-mono); font-size: 0.86rem; min-height: 2.6rem; }
  .actions { display: flex; justify-content: flex-end; gap: 0.6rem; }
  .notice table { margin-top: 0.5rem; font-size: 0.84rem; background: #fff; border-radius: 6px; }
  .notice th, .notice td { padding: 0.3rem 0.5rem; border-bottom: 1px solid #f0e2bd; }
  .notice td { font-family: var(--sy-mono); word-break: break-word; }
  .notice p + p, .notice table + p { margin-top: 0.4rem; }
`;
