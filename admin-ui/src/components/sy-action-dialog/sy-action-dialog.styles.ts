import { css } from 'lit';

export const styles = css`
  dialog {
    border: none; border-radius: 14px; padding: 0; width: min(520px, calc(100vw - 2rem));
    box-shadow: 0 20px 50px rgb(15 23 42 / 28%); color: var(--sy-text);
  }
  dialog::backdrop { background: rgb(15 23 42 / 45%); }
  .head { padding: 1.1rem 1.3rem 0.4rem; display: flex; gap: 0.7rem; align-items: center; }
  .head.danger h2 { color: var(--sy-danger); }
  .icon { width: 2.1rem; height: 2.1rem; border-radius: 50%; display: grid; place-items: center; flex: none; background: var(--sy-accent-soft); color: var(--sy-accent); font-weight: 700; }
  .head.danger .icon { background: var(--sy-danger-soft); color: var(--sy-danger); }
  form, .result { padding: 0.6rem 1.3rem 1.2rem; display: grid; gap: 0.9rem; }
  .intro { color: var(--sy-muted); }
  .confirm { display: flex; gap: 0.55rem; align-items: flex-start; font-weight: 500; }
  .confirm input { margin-top: 0.2rem; flex: none; }
  .actions { display: flex; justify-content: flex-end; gap: 0.6rem; padding-top: 0.3rem; }
  .preview, .result { display: grid; gap: 0.7rem; }
  .snapshot ul { margin: 0.2rem 0; padding-left: 1.1rem; font-size: 0.86rem; display: grid; gap: 0.2rem; }
  .snapshot [data-outcome='breach'] { color: var(--sy-danger); }
  .snapshot [data-outcome='inconclusive'] { color: #8a5a00; }
  .snapshot .warn { color: #8a5a00; font-size: 0.86rem; }
  .promotion { display: grid; gap: 0.5rem; font-size: 0.88rem; }
  .promotion .scroll { overflow: auto; max-height: 14rem; border: 1px solid var(--sy-border); border-radius: 8px; }
  .promotion th, .promotion td { padding: 0.35rem 0.5rem; overflow-wrap: anywhere; }
  .flag-list { display: grid; gap: 0.25rem; font-size: 0.88rem; }
  .flag-list ul { margin: 0; padding: 0.45rem 0.6rem 0.45rem 1.6rem; max-height: 10.5rem; overflow: auto; background: #f7f8fa; border: 1px solid var(--sy-border); border-radius: 8px; }
  .flag-list li { padding: 0.1rem 0; }
  .reach { display: grid; gap: 0.45rem; padding: 0.9rem 1rem; border-radius: 10px; background: #f3f5f8; border: 1px solid var(--sy-border); }
  .reach strong { font-size: 1.15rem; }
  .meter { height: 8px; border-radius: 99px; background: #dfe3ea; overflow: hidden; }
  .meter span { display: block; height: 100%; background: var(--sy-ok); transition: width 0.3s; }
`;
