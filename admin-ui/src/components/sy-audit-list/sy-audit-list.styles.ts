import { css } from 'lit';

export const styles = css`
  ol { list-style: none; margin: 0; padding: 0; }
  li.entry { display: grid; grid-template-columns: 9.5rem 1fr; gap: 0.9rem; padding: 0.75rem 0; border-bottom: 1px solid var(--sy-border); }
  li.entry:last-child { border-bottom: none; }
  .when { font-size: 0.82rem; color: var(--sy-muted); }
  .head { display: flex; flex-wrap: wrap; gap: 0.45rem; align-items: center; }
  .who { font-weight: 600; }
  .role { font-size: 0.72rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--sy-muted); }
  .reason { margin-top: 0.2rem; color: #2f3947; }
  .reason::before { content: 'Reason: '; color: var(--sy-muted); }
  details { margin-top: 0.35rem; }
  summary { cursor: pointer; font-size: 0.82rem; color: var(--sy-accent); width: max-content; }
  table { margin-top: 0.35rem; font-size: 0.82rem; }
  th, td { padding: 0.3rem 0.5rem; vertical-align: top; }
  td { font-family: var(--sy-mono); word-break: break-word; max-width: 22rem; }
  td.b { color: #8a1c22; background: #fff5f5; }
  td.a { color: #0c5530; background: #f2fbf5; }
  .seq { font-family: var(--sy-mono); font-size: 0.75rem; color: var(--sy-muted); }
`;
