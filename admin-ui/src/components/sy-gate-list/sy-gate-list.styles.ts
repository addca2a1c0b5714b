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

export const evidenceStyles = css`
  li.wait { border-color: #f0d9a8; background: #fffcf3; }
  .wait .mark { background: #fdf0d2; color: #8a5a00; }
  .wait .status { color: #8a5a00; }
  .outcome { font-weight: 600; font-size: 0.9rem; }
  .outcome.pass { color: var(--sy-ok); }
  .outcome.breach { color: var(--sy-danger); }
  .outcome.inconclusive { color: #8a5a00; }
  .pictures { display: grid; gap: 0.25rem; justify-items: end; }
  .signed-on { font-size: 0.78rem; color: var(--sy-muted); margin-left: 1.1rem; }
  .lapsed { margin: 0.3rem 0 0; padding: 0; list-style: none; font-size: 0.84rem; color: #8a5a00; display: grid; gap: 0.15rem; }
  .lapsed li, .pending li { display: block; border: none; padding: 0; background: none; }
  .pending { margin: 0.3rem 0 0; padding: 0 0 0 1rem; list-style: disc; font-size: 0.8rem; color: #3a4453; }
  .meter { position: relative; height: 6px; border-radius: 3px; background: var(--sy-border); margin: 0.3rem 0; max-width: 16rem; }
  .meter span { display: block; height: 100%; border-radius: 3px; background: var(--sy-ok); }
  .fail .meter span { background: #b7791f; }
  .meter i { position: absolute; top: -3px; bottom: -3px; width: 2px; background: #3a4453; }
  @media (max-width: 600px) {
    li { grid-template-columns: auto 1fr; }
    .pictures { grid-column: 1 / -1; justify-items: start; }
  }
`;
