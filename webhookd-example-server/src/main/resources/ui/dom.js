// Building the page safely: every value from the server goes in as text (textContent or a text
// node), never as markup. Attributes are set with setAttribute, event handlers with
// addEventListener, and links only ever point inside this page.

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * An element: h('a', {href: '#/', class: 'x', onclick: fn}, 'text', child, [more]).
 * Strings and numbers become text nodes; null, undefined and false are skipped.
 */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element, as h() builds HTML ones. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(el, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name.startsWith('on')) {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      el.setAttribute('class', value);
    } else if (name === 'text') {
      el.textContent = String(value);
    } else if (name === 'href') {
      el.setAttribute('href', safeHref(value));
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends children (nodes, strings, numbers, arrays of them) as nodes and text. */
export function append(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false) {
      continue;
    }
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

function safeHref(value) {
  const v = String(value);
  // the page links to its own routes only: never to a javascript: or another host's URL
  return v.startsWith('#') || (v.startsWith('/') && !v.startsWith('//')) ? v : '#/';
}

/** The route of one subscription's page. */
export function subscriptionHref(id) {
  return '#/subscriptions/' + encodeURIComponent(id);
}

// ---------------------------------------------------------------------------------------------
// Formatting

// The server's masking rule (io.webhookd.Secrets), applied again here so that nothing the page
// shows can carry a secret: every header value but those of a few never-secret headers, and a
// URL's user info and query values.
const NEVER_SECRET_HEADERS = new Set(['accept', 'accept-encoding', 'accept-language', 'content-encoding',
  'content-length', 'content-type', 'date', 'retry-after', 'server', 'user-agent', 'webhook-id',
  'webhook-timestamp']);

/**
 * The URL as it may be shown: its user info and every query value masked, as the server masks
 * them. Unparseable input is shown masked whole.
 */
export function maskUrl(raw) {
  if (raw === null || raw === undefined || raw === '') {
    return '';
  }
  let url;
  try {
    url = new URL(String(raw));
  } catch (e) {
    return '****';
  }
  let out = url.protocol + '//';
  if (url.username || url.password) {
    out += '****@';
  }
  out += url.host + url.pathname;
  const query = String(raw).includes('?') ? url.search.slice(1) : '';
  if (query) {
    out += '?' + query.split('&').map((part) => {
      if (part === '') {
        return part;
      }
      const eq = part.indexOf('=');
      if (eq < 0) {
        return '****';
      }
      return eq === part.length - 1 ? part : part.slice(0, eq + 1) + '****';
    }).join('&');
  }
  return out;
}

/** A header line "Name: value" with the value masked unless the header is never secret. */
export function maskHeader(line) {
  const text = String(line);
  const colon = text.indexOf(':');
  if (colon <= 0) {
    return '****';
  }
  const name = text.slice(0, colon).trim();
  return NEVER_SECRET_HEADERS.has(name.toLowerCase()) ? text : name + ': ****';
}

/** A whole number with thousands separators, or a dash when unknown. */
export function num(n) {
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US') : '—';
}

/** "2026-11-29 10:15:30" in the browser's time zone. */
export function absoluteTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) {
    return String(iso);
  }
  const p = (x) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** "12 s ago", "3 min ago", "2 h ago", "4 days ago". */
export function relativeTime(iso, now = Date.now()) {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) {
    return String(iso);
  }
  const sec = Math.round((now - t) / 1000);
  if (sec < 0) {
    return 'just now';
  }
  if (sec < 60) {
    return sec + ' s ago';
  }
  if (sec < 3600) {
    return Math.floor(sec / 60) + ' min ago';
  }
  if (sec < 172800) {
    return Math.floor(sec / 3600) + ' h ago';
  }
  return Math.floor(sec / 86400) + ' days ago';
}

/** A <time> showing how long ago, with the exact time as its title; "never" when absent. */
export function timeAgo(iso, never = 'never') {
  if (!iso) {
    return h('span', {class: 'muted'}, never);
  }
  return h('time', {datetime: iso, title: absoluteTime(iso)}, relativeTime(iso));
}

/** The health in words and in colour: healthy, unhealthy or inactive. */
export function healthBadge(health) {
  const known = ['healthy', 'unhealthy', 'inactive'].includes(health) ? health : 'unknown';
  return h('span', {class: 'health health-' + known},
    h('span', {class: 'dot', 'aria-hidden': 'true'}),
    known === 'unknown' ? String(health || 'unknown') : known);
}

/** The first n characters, with an ellipsis when cut. */
export function excerpt(text, n) {
  const t = String(text);
  return t.length > n ? t.slice(0, n) + '…' : t;
}
