import { css } from 'lit';

export const styles = css`
  :host { display: block; }
  .bar {
    display: flex; align-items: center; gap: 0.5rem 0.9rem; flex-wrap: wrap;
    padding: 0.45rem 1.5rem; border-bottom: 1px solid var(--sy-border); background: #eef1f6;
    border-left: 6px solid #7b8aa3;
  }
  .bar.protected { background: var(--sy-danger-soft); border-left-color: var(--sy-danger); border-bottom-color: #f5c2c4; }
  label { font-size: 0.82rem; color: var(--sy-muted); }
  select { font-weight: 650; padding: 0.3rem 0.5rem; max-width: 100%; }
  .protected select { border-color: var(--sy-danger); color: var(--sy-danger-strong); }
  .kind {
    font-size: 0.74rem; font-weight: 700; letter-spacing: 0.05em; text-transform: uppercase;
    padding: 0.12rem 0.5rem; border-radius: 5px; background: #dfe4ec; color: #2f3a4c;
  }
  .protected .kind { background: var(--sy-danger); color: #fff; }
  .note { font-size: 0.8rem; color: var(--sy-muted); }
  .protected .note { color: #8a1c23; }
  @media (max-width: 720px) {
    .bar { padding: 0.4rem 0.6rem; }
    .note { display: none; }
  }
`;
