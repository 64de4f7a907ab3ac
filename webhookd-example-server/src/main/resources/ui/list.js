// The list of subscriptions the key may see, with each one's health, lag and counts; filtered by
// health and searched by name without asking the server again.

import {call, errorBox} from './api.js';
import {h, healthBadge, maskUrl, num, replace, subscriptionHref, timeAgo} from './dom.js';

const HEALTHS = ['healthy', 'unhealthy', 'inactive'];
const ORDER = {unhealthy: 0, inactive: 1, healthy: 2};

export function listView(ctx) {
  let rows = null;
  const search = h('input', {id: 'search', type: 'search', autocomplete: 'off', placeholder: 'Part of a name'});
  const filter = h('select', {id: 'health-filter'},
    h('option', {value: ''}, 'All'),
    HEALTHS.map((x) => h('option', {value: x}, x)));
  const summary = h('p', {id: 'summary', class: 'summary', 'aria-live': 'polite'});
  const problem = h('div', {id: 'list-error'});
  const body = h('tbody', {id: 'subscriptions'});
  const empty = h('p', {id: 'empty', class: 'muted', hidden: true});
  const table = h('table', {class: 'subscriptions'},
    h('caption', {class: 'visually-hidden'}, 'Subscriptions, with health, destination, lag and delivery counts'),
    h('thead', {}, h('tr', {},
      ['Name', 'Health', 'Topics', 'Destination', 'Consumer lag', 'Last success', 'Delivered', 'Failed']
        .map((c) => h('th', {scope: 'col'}, c)))),
    body);
  const element = h('section', {class: 'view list-view', 'aria-labelledby': 'list-title'},
    h('div', {class: 'title-row'}, h('h1', {id: 'list-title'}, 'Subscriptions'),
      h('a', {class: 'button', id: 'new-subscription', href: '#/new'}, 'New subscription')),
    summary,
    h('div', {class: 'toolbar'},
      h('div', {class: 'field'}, h('label', {for: 'search'}, 'Search by name'), search),
      h('div', {class: 'field'}, h('label', {for: 'health-filter'}, 'Health'), filter)),
    problem,
    h('div', {class: 'table-wrap'}, table),
    empty);

  search.addEventListener('input', render);
  filter.addEventListener('change', render);

  function render() {
    if (rows === null) {
      return;
    }
    const wanted = filter.value;
    const needle = search.value.trim().toLowerCase();
    const shown = rows.filter((r) => (!wanted || r.health === wanted)
      && (!needle || String(r.sub.name || '').toLowerCase().includes(needle)));
    // a refresh must not take the keyboard focus away from the row it was on
    const focusedId = document.activeElement && body.contains(document.activeElement)
      ? document.activeElement.getAttribute('data-id') : null;
    replace(body, shown.map(row));
    if (focusedId) {
      const again = [...body.querySelectorAll('a[data-id]')].find((a) => a.getAttribute('data-id') === focusedId);
      if (again) {
        again.focus({preventScroll: true});
      }
    }
    const counts = HEALTHS.map((x) => `${rows.filter((r) => r.health === x).length} ${x}`).join(', ');
    replace(summary, rows.length === 0 ? 'No subscriptions yet.'
      : `${rows.length} subscription${rows.length === 1 ? '' : 's'}: ${counts}.`
        + (shown.length === rows.length ? '' : ` Showing ${shown.length}.`));
    empty.hidden = shown.length > 0 || rows.length === 0;
    replace(empty, 'No subscription matches the search and the filter.');
    table.hidden = shown.length === 0;
  }

  function row(r) {
    const s = r.sub;
    const st = r.status || {};
    const topics = (s.source || []).map((x) => x.topic);
    return h('tr', {'data-health': r.health},
      h('td', {'data-label': 'Name', class: 'name'},
        h('a', {href: subscriptionHref(s.id), 'data-id': s.id}, s.name ? s.name : '(no name)')),
      h('td', {'data-label': 'Health'}, healthBadge(r.health)),
      h('td', {'data-label': 'Topics', class: 'topics'}, topics.join(', ')),
      h('td', {'data-label': 'Destination', class: 'url'},
        h('code', {}, maskUrl(st.payload_url || s.destination?.webhook?.url))),
      h('td', {'data-label': 'Consumer lag', class: 'n'}, num(st.consumer_lag)),
      h('td', {'data-label': 'Last success'}, timeAgo(st.last_success_at)),
      h('td', {'data-label': 'Delivered', class: 'n'}, num(st.delivered)),
      h('td', {'data-label': 'Failed', class: 'n'}, num(st.failed_attempts)));
  }

  async function refresh() {
    let subs;
    try {
      subs = (await call('GET', '/1/Subscription')).json || [];
    } catch (e) {
      if (e.status === 401) {
        throw e;
      }
      replace(problem, errorBox(e, 'Loading the subscriptions'));
      return;
    }
    const statuses = await mapLimited(subs, 6, async (sub) => {
      try {
        return (await call('GET', '/1/Subscription/' + encodeURIComponent(sub.id) + '/Status')).json;
      } catch (e) {
        if (e.status === 401) {
          throw e;
        }
        return {error: e};
      }
    });
    const failed = statuses.filter((x) => x && x.error && x.error.status !== 404);
    replace(problem, failed.length ? errorBox(failed[0].error, `Loading the status of ${failed.length} subscription(s)`) : null);
    rows = subs
      .map((sub, i) => ({sub, answer: statuses[i]}))
      // deleted between the two requests: gone from the list at the next refresh anyway
      .filter((x) => !(x.answer && x.answer.error && x.answer.error.status === 404))
      .map(({sub, answer}) => {
        const status = answer && !answer.error ? answer : null;
        return {sub, status, health: status ? status.status : (sub.active === 'no' ? 'inactive' : 'unknown')};
      });
    rows.sort((a, b) => (ORDER[a.health] ?? 3) - (ORDER[b.health] ?? 3)
      || String(a.sub.name).localeCompare(String(b.sub.name)));
    render();
  }

  return {element, refresh};
}

/** fn over the items, at most limit at a time, results in order. */
async function mapLimited(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker));
  return out;
}
