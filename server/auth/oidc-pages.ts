/** The few HTML pages the sign-in answers with (a refusal, the provider down, not configured): no script, escaped text. */

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The runbook's break-glass section (a token when the identity provider is down); the admin UI names it too. */
export const BREAK_GLASS = 'docs/runbook.md, section 17 "Break-glass: sign in when the identity provider is down"';

export function page(title: string, paragraphs: string[], list?: { caption: string; items: string[] }): string {
  const items = list ? `<p>${esc(list.caption)}</p><ul>${list.items.map((i) => `<li><code>${esc(i)}</code></li>`).join('') || '<li>(none)</li>'}</ul>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)} · Switchyard</title></head><body><main><h1>${esc(title)}</h1>${paragraphs.map((p) => `<p>${esc(p)}</p>`).join('')}${items}<p><a href="/">Back to Switchyard</a></p></main></body></html>`;
}

export const unreachableParagraphs = (issuer: string) => [
  `The identity provider ${issuer} cannot be reached, so nobody can sign in with it right now. Sessions already open keep working until they end, and so do tokens.`,
  `Break-glass: someone with shell access mints a short token (switchyard token --role oncall --ttl 2h) and you paste it on the sign-in page. See the runbook: ${BREAK_GLASS}`,
];
