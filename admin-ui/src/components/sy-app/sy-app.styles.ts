import { css } from 'lit';

export const styles = css`
  :host { display: block; min-height: 100vh; }
  header {
    position: sticky; top: 0; z-index: 5; background: #111827; color: #e5e7eb;
    display: flex; align-items: center; gap: 1.5rem; padding: 0 1.5rem; height: 56px;
  }
  .brand { display: flex; align-items: center; gap: 0.55rem; font-weight: 700; color: #fff; letter-spacing: -0.01em; font-size: 1.02rem; }
  .brand svg { width: 22px; height: 22px; }
  nav { display: flex; gap: 0.25rem; height: 100%; }
  nav a {
    color: #c7cdd8; display: flex; align-items: center; padding: 0 0.8rem; height: 100%;
    border-bottom: 2px solid transparent; font-weight: 550; text-decoration: none;
  }
  nav a:hover { color: #fff; text-decoration: none; }
  nav a[aria-current='page'] { color: #fff; border-bottom-color: #7b93ff; }
  .who { display: flex; align-items: center; gap: 0.75rem; font-size: 0.86rem; color: #c7cdd8; }
  .who strong { color: #fff; font-weight: 600; }
  .role { font-size: 0.74rem; text-transform: uppercase; letter-spacing: 0.05em; padding: 0.1rem 0.45rem; border-radius: 5px; background: #2b3447; color: #dbe2ff; }
  .who button { background: transparent; color: #c7cdd8; border-color: #374151; }
  .who button:hover { background: #1f2937; color: #fff; }
  .live { display: inline-flex; align-items: center; gap: 0.4rem; font-size: 0.8rem; }
  .live::before { content: ''; width: 0.5rem; height: 0.5rem; border-radius: 50%; background: #9ca3af; }
  .live.on::before { background: #34d399; box-shadow: 0 0 0 3px rgb(52 211 153 / 20%); }
  .live.off::before { background: #f87171; }
  .banner {
    display: flex; align-items: center; gap: 0.8rem; padding: 0.65rem 1.5rem;
    background: #7f1d1d; color: #fff; font-weight: 550;
  }
  .banner button { background: transparent; color: #fff; border-color: rgb(255 255 255 / 45%); }
  .banner button:hover:not(:disabled) { background: rgb(255 255 255 / 12%); }
  /* The environment switcher stays in view under the header. */
  .envbar { position: sticky; top: 56px; z-index: 4; }
  main { max-width: 1180px; margin: 0 auto; padding: 1.5rem; }
  .center { max-width: 520px; margin: 4rem auto; }
  main:focus { outline: none; }
  /* A phone: the header wraps instead of pushing the page sideways. */
  @media (max-width: 720px) {
    header { flex-wrap: wrap; height: auto; gap: 0.35rem 0.9rem; padding: 0.5rem 0.75rem; position: static; }
    nav { height: auto; flex-wrap: wrap; }
    nav a { padding: 0.45rem 0.55rem; }
    .who { flex-wrap: wrap; gap: 0.4rem 0.6rem; width: 100%; }
    .banner { padding: 0.6rem 0.75rem; flex-wrap: wrap; }
    .envbar { top: 0; }
    main { padding: 0.9rem 0.6rem; }
    .center { margin: 1.5rem auto; }
  }
`;
