import { css } from 'lit';

export const styles = css`
  :host { display: block; }
  section.card { display: grid; gap: 1rem; }
  .head { display: flex; align-items: center; gap: 0.5rem; }
  .head h2 { flex: 1; }
  dl { margin: 0; display: grid; grid-template-columns: auto 1fr; gap: 0.45rem 0.9rem; font-size: 0.88rem; }
  dt { color: var(--sy-muted); }
  dd { margin: 0; word-break: break-word; }
  .value { font-family: var(--sy-mono); font-size: 0.85rem; background: #f3f5f8; padding: 0.05rem 0.35rem; border-radius: 5px; }
  .foot { display: grid; gap: 0.3rem; border-top: 1px solid var(--sy-border); padding-top: 0.8rem; }
  button.archive { color: var(--sy-danger); justify-self: start; }
`;
