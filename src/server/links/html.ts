import { describeLink, type Link } from '../../core/links.ts';

/** Escapes text for HTML element content and double-quoted attributes. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A whole page. No script: every action is a plain form. */
export function page(title: string, body: string, who?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · gatehouse</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ccc;padding:.4rem;text-align:left}
.note{background:#f4f4f4;padding:.6rem}</style></head>
<body><header><strong>gatehouse</strong>${who ? ` · signed in as <span id="who">${esc(who)}</span>` : ''}</header>
<h1>${esc(title)}</h1>
${body}
</body></html>
`;
}

export function forbiddenPage(why: string, who?: string): string {
  return page('Forbidden', `<p class="note" id="forbidden">${esc(why)}</p><p>Nothing was changed.</p>`, who);
}

export function messagePage(title: string, text: string, who?: string): string {
  return page(title, `<p class="note" id="message">${esc(text)}</p><p><a href="/links">Approval queue</a></p>`, who);
}

/** The approvers' queue: each pending request with Approve and Reject, a reason, and the session's CSRF token. */
export function queuePage(pending: readonly Link[], csrf: string, who: string, flash?: string): string {
  const rows = pending
    .map(
      (l) => `<tr data-link="${esc(l.id)}"><td>${esc(describeLink(l))}</td><td>${esc(l.requestedBy)}</td>
<td>${esc(l.requestedAt)}</td><td><form method="post" action="/links/${esc(l.id)}/decide">
<input type="hidden" name="csrf" value="${esc(csrf)}">
<input name="reason" placeholder="reason" aria-label="reason">
<button name="decision" value="approve">Approve</button> <button name="decision" value="reject">Reject</button>
</form></td></tr>`,
    )
    .join('\n');
  const table = pending.length
    ? `<table><thead><tr><th>link</th><th>asked by</th><th>asked at</th><th>decision</th></tr></thead>
<tbody>${rows}</tbody></table>`
    : '<p id="empty">No pending requests.</p>';
  return page('Pending link requests', `${flash ? `<p class="note" id="message">${esc(flash)}</p>` : ''}${table}`, who);
}
