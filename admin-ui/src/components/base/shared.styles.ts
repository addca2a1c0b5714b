import { css } from 'lit';

/** Buttons, badges, cards and form controls shared by every component. */
export const shared = css`
  :host { font: inherit; color: var(--sy-text); }
  h1, h2, h3 { margin: 0; line-height: 1.25; font-weight: 650; letter-spacing: -0.01em; }
  h1 { font-size: 1.5rem; }
  h1[tabindex='-1']:focus { outline: none; }
  h2 { font-size: 1.05rem; }
  h3 { font-size: 0.95rem; }
  p { margin: 0; }
  a { color: var(--sy-accent); text-decoration: none; }
  a:hover { text-decoration: underline; }
  code, .mono { font-family: var(--sy-mono); font-size: 0.92em; }
  .muted { color: var(--sy-muted); }
  .small { font-size: 0.86rem; }
  .card { background: var(--sy-surface); border: 1px solid var(--sy-border); border-radius: var(--sy-radius); box-shadow: var(--sy-shadow); padding: 1.1rem 1.25rem; }
  .row { display: flex; gap: 0.6rem; align-items: center; flex-wrap: wrap; }
  .stack { display: grid; gap: 0.75rem; }
  .spacer { flex: 1; }

  button, .btn {
    font: inherit; font-weight: 550; font-size: 0.9rem; line-height: 1.2;
    display: inline-flex; align-items: center; gap: 0.4rem; justify-content: center;
    padding: 0.5rem 0.9rem; border-radius: 8px; cursor: pointer;
    border: 1px solid var(--sy-border); background: var(--sy-surface); color: var(--sy-text);
    transition: background 0.12s, border-color 0.12s, box-shadow 0.12s;
  }
  /* People who ask their system for less motion get none (and a browser test measures colours this way, never mid-fade). */
  @media (prefers-reduced-motion: reduce) { button, .btn { transition: none; } }
  button:hover:not(:disabled) { background: #f0f2f5; }
  button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, a:focus-visible, summary:focus-visible,
  [tabindex='0']:focus-visible {
    outline: 3px solid color-mix(in srgb, var(--sy-accent) 45%, transparent); outline-offset: 2px;
  }
  button:disabled { cursor: not-allowed; opacity: 0.55; }
  button.primary { background: var(--sy-accent); border-color: var(--sy-accent); color: #fff; }
  button.primary:hover:not(:disabled) { background: #2a47bb; }
  button.danger { background: var(--sy-danger); border-color: var(--sy-danger); color: #fff; }
  button.danger:hover:not(:disabled) { background: var(--sy-danger-strong); }
  button.ghost { background: transparent; border-color: transparent; }
  button.small { padding: 0.3rem 0.6rem; font-size: 0.82rem; }

  .badge {
    display: inline-flex; align-items: center; gap: 0.35rem; white-space: nowrap;
    font-size: 0.78rem; font-weight: 600; padding: 0.15rem 0.55rem; border-radius: 999px;
    border: 1px solid transparent;
  }
  .badge::before { content: ''; width: 0.5rem; height: 0.5rem; border-radius: 50%; background: currentColor; }
  .badge.killed { color: var(--sy-danger); background: var(--sy-danger-soft); border-color: #f5c2c4; }
  .badge.paused { color: var(--sy-warn); background: var(--sy-warn-soft); border-color: #f3d99a; }
  .badge.live { color: var(--sy-ok); background: var(--sy-ok-soft); border-color: #b7e2c8; }
  .badge.idle, .badge.archived { color: var(--sy-muted); background: #eef0f3; border-color: #dde1e7; }
  .tag { display: inline-block; font-size: 0.76rem; padding: 0.05rem 0.45rem; border-radius: 6px; background: #eef0f4; color: #3d4757; }

  label { font-weight: 550; font-size: 0.86rem; }
  input, select, textarea {
    font: inherit; color: inherit; background: #fff; border: 1px solid #cfd4dc; border-radius: 8px;
    padding: 0.45rem 0.6rem; min-width: 0; box-sizing: border-box;
  }
  textarea { resize: vertical; min-height: 4.5rem; width: 100%; box-sizing: border-box; }
  input[type='checkbox'] { width: 1rem; height: 1rem; accent-color: var(--sy-accent); }
  input[aria-invalid='true'], select[aria-invalid='true'], textarea[aria-invalid='true'] { border-color: var(--sy-danger); }
  .field { display: grid; gap: 0.3rem; }
  .field-error { color: var(--sy-danger); font-size: 0.82rem; }
  .field-error::before { content: '⚠ '; }
  .note { font-size: 0.82rem; color: var(--sy-muted); }
  .notice { border-radius: 8px; padding: 0.6rem 0.8rem; font-size: 0.9rem; border: 1px solid; }
  .notice.error { background: var(--sy-danger-soft); border-color: #f5c2c4; color: #7d1219; }
  .notice.warn { background: var(--sy-warn-soft); border-color: #f3d99a; color: #6b4000; }
  .notice.ok { background: var(--sy-ok-soft); border-color: #b7e2c8; color: #0c5530; }
  .notice.info { background: var(--sy-accent-soft); border-color: #c9d4fb; color: #22348a; }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  table { border-collapse: collapse; width: 100%; }
  th { text-align: left; font-size: 0.76rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--sy-muted); font-weight: 600; }
  th, td { padding: 0.6rem 0.75rem; border-bottom: 1px solid var(--sy-border); vertical-align: middle; }
`;
