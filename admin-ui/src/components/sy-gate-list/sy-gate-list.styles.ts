import { css } from 'lit';

export const styles = css`
  ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.5rem; }
  li { display: grid; grid-template-columns: auto 1fr auto; gap: 0.75rem; align-items: center; padding: 0.65rem 0.8rem; border: 1px solid var(--sy-border); border-radius: 9px; background: #fff; }
  li.fail { border-color: #f1c6c8; background: #fffafa; }
  :host([compact]) li { padding: 0.35rem 0.55rem; background: transparent; }
  .mark { width: 1.6rem; height: 1.6rem; border-radius: 50%; display: grid; place-items: center; font-weight: 800; font-size: 0.85rem; }
  .ok .mark { background: var(--sy-ok-soft); color: var(--sy-ok); }
  .fail .mark { background: var(--sy-danger-soft); color: var(--sy-danger); }
  .kind { font-weight: 650; }
  .status { font-size: 0.74rem; font-weight: 700; text-transform: uppercase; letter-spacing: 0.04em; margin-left: 0.4rem; }
  .ok .status { color: var(--sy-ok); }
  .fail .status { color: var(--sy-danger); }
  .detail { color: #3a4453; font-size: 0.88rem; }
  .nums { font-size: 0.8rem; color: var(--sy-muted); }
  .signers { margin: 0.3rem 0 0; padding: 0; list-style: none; font-size: 0.84rem; color: #3a4453; display: grid; gap: 0.15rem; }
  .signers li { display: block; border: none; padding: 0; background: none; }
`;
