import { css } from 'lit';

export const styles = css`
  :host { display: block; margin-top: 1.5rem; }
  textarea { font-family: var(--sy-mono); font-size: 0.8rem; min-height: 5rem; }
`;
