import { css } from 'lit';

export const styles = css`
  ol { list-style: none; margin: 0; padding: 0; display: grid; grid-auto-flow: column; grid-auto-columns: 1fr; }
  li { position: relative; padding: 0 0.5rem 0 0; display: grid; gap: 0.15rem; align-content: start; }
  li::before { content: ''; position: absolute; top: 15px; left: 34px; right: 4px; height: 3px; border-radius: 3px; background: #dfe3ea; }
  li:last-child::before { display: none; }
  li.done::before { background: var(--sy-accent); }
  .dot {
    position: relative; z-index: 1; width: 32px; height: 32px; border-radius: 50%; display: grid; place-items: center;
    font-weight: 700; font-size: 0.8rem; background: #fff; border: 2px solid #cfd5df; color: var(--sy-muted);
  }
  .done .dot { background: var(--sy-accent); border-color: var(--sy-accent); color: #fff; }
  .current .dot { border-color: var(--sy-accent); color: var(--sy-accent); box-shadow: 0 0 0 4px var(--sy-accent-soft); }
  .current.paused .dot { border-color: var(--sy-warn); color: var(--sy-warn); box-shadow: 0 0 0 4px var(--sy-warn-soft); }
  .current.killed .dot { border-color: var(--sy-danger); color: var(--sy-danger); box-shadow: 0 0 0 4px var(--sy-danger-soft); }
  .pct { font-weight: 650; font-size: 1.05rem; margin-top: 0.35rem; }
  .what { font-size: 0.8rem; color: var(--sy-muted); }
  .now { font-size: 0.78rem; font-weight: 650; color: var(--sy-accent); text-transform: uppercase; letter-spacing: 0.04em; }
  .paused .now { color: var(--sy-warn); }
  .killed .now { color: var(--sy-danger); }
`;
