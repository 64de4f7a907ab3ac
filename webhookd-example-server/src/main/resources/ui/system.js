// The admin's system state: online or offline (and the message), every webhook's health, and
// taking every webhook offline or back online after a confirmation.

import {call, errorBox, ApiError} from './api.js';
import {h, healthBadge, replace, subscriptionHref, timeAgo} from './dom.js';

export function systemView(ctx) {
  const title = h('h1', {id: 'system-title'}, 'System');
  if (ctx.role !== 'admin') {
    return {
      element: h('section', {class: 'view'}, title,
        h('div', {class: 'error', role: 'alert'}, h('p', {}, 'This page is for the admin key only.'))),
      refresh: async () => {},
    };
  }
  const state = h('div', {id: 'system-state', class: 'card'});
  const notice = h('div', {id: 'system-status', 'aria-live': 'polite'});
  const problem = h('div', {id: 'system-error'});
  const webhooks = h('tbody', {id: 'system-webhooks'});
  const engines = h('tbody', {id: 'system-engines'});
  const element = h('section', {class: 'view system-view', 'aria-labelledby': 'system-title'},
    title, problem, state, notice,
    h('section', {class: 'card wide', 'aria-labelledby': 'webhooks-title'},
      h('h2', {id: 'webhooks-title'}, 'Webhooks'),
      h('div', {class: 'table-wrap'}, h('table', {class: 'subscriptions'},
        h('thead', {}, h('tr', {}, ['Name', 'Health', 'Topics', 'Since'].map((c) => h('th', {scope: 'col'}, c)))),
        webhooks))),
    h('section', {class: 'card wide', 'aria-labelledby': 'engines-title'},
      h('h2', {id: 'engines-title'}, 'Engines'),
      h('div', {class: 'table-wrap'}, h('table', {class: 'subscriptions'},
        h('thead', {}, h('tr', {}, ['Engine', 'Host', 'Subscriptions', 'Started', 'Last seen'].map((c) => h('th', {scope: 'col'}, c)))),
        engines))));

  let online = null;

  async function refresh() {
    let doc;
    try {
      doc = (await call('GET', '/1/EventNotificationAdmin')).json;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        throw e;
      }
      replace(problem, errorBox(e, 'Loading the system state'));
      return;
    }
    replace(problem);
    const wasOnline = online;
    online = doc.status === 'online';
    const hadFocus = state.contains(document.activeElement);
    const button = h('button', {type: 'button', id: online ? 'take-offline' : 'bring-online', class: online ? 'button danger' : 'button'},
      online ? 'Take all webhooks offline…' : 'Bring all webhooks online…');
    button.addEventListener('click', () => (online ? takeOffline() : bringOnline()));
    replace(state,
      h('h2', {}, 'Deliveries'),
      h('p', {class: 'state-line'},
        h('span', {id: 'system-online', class: 'state state-' + (online ? 'online' : 'offline')}, online ? 'online' : 'offline'),
        ' ', online ? 'Every active subscription is delivering.' : 'No subscription delivers until the system is brought online.'),
      !online && doc.offline_message ? h('p', {}, 'Message: “', h('span', {id: 'system-message'}, doc.offline_message), '”') : null,
      h('p', {class: 'muted'}, 'Changed ', timeAgo(doc.updated_at, 'never')),
      h('div', {class: 'actions'}, button));
    if (hadFocus || (wasOnline !== null && wasOnline !== online && document.activeElement === document.body)) {
      button.focus();
    }
    const list = Array.isArray(doc.webhooks) ? doc.webhooks : [];
    replace(webhooks, list.length === 0
      ? h('tr', {}, h('td', {colspan: '4', class: 'muted'}, 'No subscriptions.'))
      : list.map((w) => h('tr', {},
        h('td', {'data-label': 'Name'}, h('a', {href: subscriptionHref(w.id)}, w.name ? w.name : '(no name)')),
        h('td', {'data-label': 'Health'}, healthBadge(w.status)),
        h('td', {'data-label': 'Topics'}, (w.topics || []).join(', ')),
        h('td', {'data-label': 'Since'}, timeAgo(w.timestamp)))));
    let running = [];
    try {
      running = (await call('GET', '/1/Engines')).json;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        throw e;
      }
      replace(engines, h('tr', {}, h('td', {colspan: '5', class: 'muted'}, 'Engines could not be loaded: ' + e.message)));
      return;
    }
    replace(engines, !Array.isArray(running) || running.length === 0
      ? h('tr', {}, h('td', {colspan: '5', class: 'muted'}, 'No engine has reported lately.'))
      : running.map((e) => h('tr', {'data-engine': e.id},
        h('td', {'data-label': 'Engine'}, e.id),
        h('td', {'data-label': 'Host'}, e.host),
        h('td', {'data-label': 'Subscriptions'}, String(e.subscriptions)),
        h('td', {'data-label': 'Started'}, timeAgo(e.started_at)),
        h('td', {'data-label': 'Last seen'}, timeAgo(e.last_seen)))));
  }

  async function takeOffline() {
    const input = h('input', {id: 'offline-message', type: 'text', maxlength: '500', autocomplete: 'off'});
    const extra = h('div', {class: 'field'},
      h('label', {for: 'offline-message'}, 'Message shown in each subscription\'s status (optional)'), input);
    const yes = await ctx.confirm({
      title: 'Take every webhook offline?',
      text: 'No subscription delivers anything until you bring them online again. Messages wait in Kafka; nothing is lost.',
      ok: 'Take offline',
      extra,
    });
    if (yes) {
      await change({status: 'offline', offline_message: input.value}, 'All webhooks are offline.');
    }
  }

  async function bringOnline() {
    const yes = await ctx.confirm({
      title: 'Bring every webhook online?',
      text: 'Every active subscription starts delivering again, from where it stopped.',
      ok: 'Bring online',
    });
    if (yes) {
      await change({status: 'online'}, 'All webhooks are online.');
    }
  }

  async function change(body, done) {
    replace(notice, h('p', {class: 'muted'}, 'Sending…'));
    try {
      await call('POST', '/1/EventNotificationAdmin', {body});
      replace(notice, h('p', {class: 'ok-text', role: 'status'}, done));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        ctx.signOut('The server no longer accepts your key (401): sign in again.');
        return;
      }
      replace(notice, errorBox(e, 'Changing the system state'));
    }
    await ctx.refresh();
    document.getElementById(online ? 'take-offline' : 'bring-online')?.focus();
  }

  return {element, refresh};
}
