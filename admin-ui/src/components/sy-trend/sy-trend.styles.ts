import { css } from 'lit';

export const styles = css`
  :host { display: inline-block; vertical-align: middle; }
  svg { display: block; overflow: visible; }
  .line { fill: none; stroke: var(--sy-accent); stroke-width: 1.6; stroke-linejoin: round; stroke-linecap: round; }
  .line.bad { stroke: var(--sy-danger); }
  .area { fill: color-mix(in srgb, var(--sy-accent) 10%, transparent); stroke: none; }
  .limit { stroke: var(--sy-muted); stroke-width: 1; stroke-dasharray: 3 3; }
  .dot { fill: var(--sy-accent); }
  .dot.bad { fill: var(--sy-danger); }
  .none { font-size: 0.78rem; color: var(--sy-muted); }
`;
