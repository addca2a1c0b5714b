import { css } from 'lit';

export const styles = css`
  :host { display: inline-block; vertical-align: middle; }
  svg { display: block; overflow: visible; }
  .axis { stroke: var(--sy-border); stroke-width: 1; }
  .safe { fill: color-mix(in srgb, var(--sy-ok) 12%, transparent); }
  .limit { stroke: var(--sy-danger); stroke-width: 1.4; stroke-dasharray: 3 2; }
  .bar { stroke-width: 5; stroke-linecap: round; }
  .pass .bar, .pass .dot { stroke: var(--sy-ok); fill: var(--sy-ok); }
  .breach .bar, .breach .dot { stroke: var(--sy-danger); fill: var(--sy-danger); }
  .inconclusive .bar, .inconclusive .dot { stroke: #b7791f; fill: #b7791f; }
  .dot { stroke: #fff; stroke-width: 1.5; }
  .none { font-size: 0.78rem; color: var(--sy-muted); }
`;
