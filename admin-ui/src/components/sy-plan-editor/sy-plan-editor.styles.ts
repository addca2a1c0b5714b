import { css } from 'lit';

export const styles = css`
  :host { display: block; }
  form { display: grid; gap: 1.1rem; }
  /* min-width: a fieldset is as wide as its content by default, which pushed the page sideways on a phone. */
  fieldset { border: 1px solid var(--sy-border); border-radius: 10px; padding: 0.8rem 1rem 1rem; margin: 0; display: grid; gap: 0.7rem; min-width: 0; }
  legend { font-weight: 650; padding: 0 0.35rem; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr)); gap: 0.6rem 0.8rem; align-items: end; }
  .rule, .check { display: grid; gap: 0.5rem; align-items: end; }
  .rule { grid-template-columns: 1fr 10rem 1.4fr auto; }
  .check { grid-template-columns: 1.2fr 7.5rem 5.5rem 1fr 1fr auto auto auto; padding: 0.5rem; border-radius: 8px; background: #f7f8fa; }
  .field label { font-size: 0.78rem; color: var(--sy-muted); }
  .inline { display: flex; gap: 0.4rem; align-items: center; font-size: 0.84rem; font-weight: 500; padding-bottom: 0.45rem; }
  .stage-head { display: flex; align-items: center; gap: 0.5rem; }
  .stage-head h3 { flex: 1; }
  .field input, .field select { width: 100%; }
  .errors { margin: 0; padding-left: 1.1rem; }
  /* A phone: a cohort rule or a metric check wraps onto two columns. */
  @media (max-width: 720px) {
    .rule, .check { grid-template-columns: repeat(2, minmax(0, 1fr)); }
    fieldset { padding: 0.7rem 0.7rem 0.8rem; }
  }
  .sub { font-size: 0.82rem; font-weight: 650; color: var(--sy-muted); text-transform: uppercase; letter-spacing: 0.04em; }
`;
