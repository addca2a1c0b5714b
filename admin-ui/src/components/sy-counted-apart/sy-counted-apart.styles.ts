import { css } from 'lit';

export const styles = css`
  :host { display: block; }
  p { margin: 0.3rem 0 0; font-size: 0.86rem; }
  .warn { color: var(--sy-warn); }
  .muted { color: var(--sy-muted); }
`;
