// One subscription: health and counts, a chart of recent deliveries, the recent_activity
// timeline, its configuration, pause / resume, edit, and the day-2 operations (dead letters,
// skip of a failing batch, replay, test message).

import {call, errorBox, ApiError} from './api.js';
import {deliveryCharts} from './chart.js';
import {absoluteTime, excerpt, h, healthBadge, maskHeader, maskUrl, num, relativeTime, replace, timeAgo} from './dom.js';
import {takeCreatedSecret} from './form.js';
import {deadLettersCard, replayCard, sendTest, skipBatch} from './operations.js';

const BODY_EXCERPT = 400;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const FIRST_ENTRIES = 12;

export function subscriptionView(id, ctx) {
  // every api_call seen while this page is open, so the chart keeps what scrolled out of the status
  const seen = new Map();
  const openDetails = new Set();
  let showAll = false;
  let last = null;
  let gone = false;

  const title = h('h1', {id: 'subscription-title'}, 'Subscription');
  const badge = h('span', {id: 'subscription-health'});
  const actions = h('div', {class: 'actions', id: 'subscription-actions'});
  const notice = h('div', {id: 'action-status', 'aria-live': 'polite'});
  const problem = h('div', {id: 'subscription-error'});
  const facts = h('dl', {class: 'facts', id: 'delivery-facts'});
  const chart = h('div', {id: 'chart'});
  const timeline = h('ol', {class: 'timeline', id: 'activity'});
  const more = h('div', {});
  const config = h('div', {id: 'configuration'});
  const dead = deadLettersCard(id, ctx);
  const replay = replayCard(id, ctx);
  const created = takeCreatedSecret(id);
  const body = h('div', {class: 'subscription-body'},
    h('section', {class: 'card', 'aria-labelledby': 'delivery-title'},
      h('h2', {id: 'delivery-title'}, 'Delivery'), facts),
    h('section', {class: 'card', 'aria-labelledby': 'chart-title'},
      h('h2', {id: 'chart-title'}, 'Recent deliveries'),
      h('p', {class: 'muted'}, 'From the recent activity, and whatever this page has seen since it opened.'),
      chart),
    h('section', {class: 'card wide', 'aria-labelledby': 'activity-title'},
      h('h2', {id: 'activity-title'}, 'Recent activity'), timeline, more),
    dead.element,
    replay.element,
    h('section', {class: 'card wide', 'aria-labelledby': 'config-title'},
      h('h2', {id: 'config-title'}, 'Configuration'), config));
  const element = h('section', {class: 'view subscription-view', 'aria-labelledby': 'subscription-title'},
    h('p', {class: 'back'}, h('a', {href: '#/'}, '← All subscriptions')),
    h('div', {class: 'title-row'}, title, badge),
    created ? h('div', {class: 'notice', role: 'status', id: 'created-secret'},
      h('p', {}, h('strong', {}, 'Created. '), 'Its signing secret, shown only this once (keep it to verify signatures):'),
      h('p', {}, h('code', {}, created))) : null,
    actions, notice, problem, body);

  async function refresh() {
    if (gone) {
      return;
    }
    if (!UUID.test(id)) {
      // no such id can exist: say so without asking the server
      gone = true;
      notFound(new ApiError(404, 'no subscription with id ' + id));
      return;
    }
    const path = '/1/Subscription/' + encodeURIComponent(id);
    let sub;
    let status;
    try {
      [sub, status] = await Promise.all([call('GET', path), call('GET', path + '/Status')]);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        gone = true;
        notFound(e);
        return;
      }
      if (e instanceof ApiError && e.status === 401) {
        throw e;
      }
      replace(problem, errorBox(e, 'Loading the subscription'));
      return;
    }
    replace(problem);
    last = {doc: sub.json, etag: sub.etag, status: status.json};
    draw(last.doc, last.status);
    await dead.refresh();
  }

  function notFound(e) {
    replace(title, 'Subscription not found');
    replace(badge);
    replace(actions);
    body.hidden = true;
    replace(problem, h('div', {class: 'error', role: 'alert', id: 'not-found'},
      h('p', {}, h('strong', {}, 'Not found: '),
        'no subscription with this id is visible to your key. The server answered 404: ' + e.message),
      h('p', {}, h('a', {href: '#/'}, 'Back to the list'))));
    title.focus({preventScroll: true});
  }

  function draw(doc, st) {
    replace(title, doc.name ? doc.name : '(no name)');
    replace(badge, healthBadge(st.status));
    drawActions(doc, failingBatch(Array.isArray(st.recent_activity) ? st.recent_activity : []));
    replace(facts, ...fact('Health', [healthBadge(st.status), ' since ', timeAgo(st.status_since)]),
      ...fact('Consumer lag', num(st.consumer_lag)),
      ...fact('Runs on', h('span', {id: 'subscription-engines'},
        Array.isArray(st.engines) && st.engines.length > 0 ? st.engines.join(', ') : 'no engine')),
      ...fact('Last successful delivery', timeAgo(st.last_success_at)),
      ...fact('Last failure', timeAgo(st.last_failure_at)),
      ...fact('Delivered', num(st.delivered)),
      ...fact('Failed attempts', num(st.failed_attempts)),
      ...fact('Consecutive failures', num(st.consecutive_failures)),
      ...fact('Last response code', st.last_response_code === undefined ? '—' : String(st.last_response_code)),
      ...(st.last_error ? fact('Last error', st.last_error) : []),
      ...(st.last_alert ? fact('Last alert', [st.last_alert, ' ', timeAgo(st.last_alert_at, '')]) : []));
    const activity = Array.isArray(st.recent_activity) ? st.recent_activity : [];
    for (const e of activity) {
      if (e.event === 'api_call') {
        const t = new Date(e.timestamp).getTime();
        const code = typeof e.response_code === 'number' ? e.response_code : null;
        seen.set(`${e.timestamp}|${code}|${e.duration_ms}|${e.request}`, {
          t, code, ok: code !== null && code >= 200 && code < 300,
          duration: typeof e.duration_ms === 'number' ? e.duration_ms : null,
        });
      }
    }
    while (seen.size > 5000) {
      seen.delete(seen.keys().next().value);
    }
    replace(chart, deliveryCharts([...seen.values()]));
    drawTimeline(activity);
    drawConfig(doc, st);
  }

  function drawActions(doc, failing) {
    const active = doc.active !== 'no';
    const button = h('button', {type: 'button', class: 'button', id: 'toggle-active'},
      active ? 'Pause deliveries' : 'Resume deliveries');
    button.addEventListener('click', () => toggle(!active, button));
    const test = h('button', {type: 'button', class: 'button secondary', id: 'send-test'}, 'Send test message');
    test.addEventListener('click', () => sendTest(id, ctx, notice, test));
    const edit = h('a', {class: 'button secondary', id: 'edit', href: '#/subscriptions/' + encodeURIComponent(id) + '/edit'}, 'Edit');
    let skip = null;
    if (failing) {
      skip = h('button', {type: 'button', class: 'button danger', id: 'skip-batch', 'data-batch': failing},
        'Skip failing batch…');
      skip.addEventListener('click', () => skipBatch(id, failing, ctx, notice));
    }
    const focusedId = actions.contains(document.activeElement) ? document.activeElement.id : null;
    replace(actions, button, test, edit, skip);
    if (focusedId) {
      document.getElementById(focusedId)?.focus();
    }
  }

  async function toggle(activate, button) {
    button.disabled = true;
    replace(notice, h('p', {class: 'muted'}, activate ? 'Resuming…' : 'Pausing…'));
    const path = '/1/Subscription/' + encodeURIComponent(id);
    try {
      // the whole current document with only "active" changed, guarded by its version
      const current = await call('GET', path);
      const doc = {...current.json, active: activate ? 'yes' : 'no'};
      await call('PUT', path, {body: doc, headers: current.etag ? {'If-Match': current.etag} : {}});
      replace(notice, h('p', {class: 'ok-text', role: 'status'}, activate ? 'Resumed: deliveries go on.' : 'Paused: nothing is delivered until you resume.'));
      await refresh();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        ctx.signOut('The server no longer accepts your key (401): sign in again.');
        return;
      }
      replace(notice, errorBox(e, activate ? 'Resuming' : 'Pausing'));
      button.disabled = false;
    }
  }

  function drawTimeline(activity) {
    const entries = showAll ? activity : activity.slice(0, FIRST_ENTRIES);
    if (activity.length === 0) {
      replace(timeline, h('li', {class: 'muted'}, 'Nothing yet.'));
    } else {
      // an entry keeps its key across refreshes, so an opened "Headers" stays open and focused
      const counts = new Map();
      const focused = timeline.contains(document.activeElement) ? document.activeElement.getAttribute('data-key') : null;
      replace(timeline, entries.map((e) => {
        const base = `${e.timestamp}|${e.event}|${e.response_code}|${e.duration_ms}`;
        const n = (counts.get(base) || 0) + 1;
        counts.set(base, n);
        return entry(e, base + '|' + n);
      }));
      if (focused) {
        [...timeline.querySelectorAll('summary')].find((x) => x.getAttribute('data-key') === focused)?.focus({preventScroll: true});
      }
    }
    if (activity.length > FIRST_ENTRIES) {
      const button = h('button', {type: 'button', class: 'button secondary', id: 'more-activity'},
        showAll ? `Show the latest ${FIRST_ENTRIES} only` : `Show all ${activity.length} entries`);
      button.addEventListener('click', () => {
        showAll = !showAll;
        drawTimeline(activity);
        document.getElementById('more-activity')?.focus();
      });
      replace(more, button);
    } else {
      replace(more);
    }
  }

  function entry(e, key) {
    const code = typeof e.response_code === 'number' ? e.response_code : null;
    const call = e.event === 'api_call' || (e.event === 'test' && code !== null);
    const kind = call ? (code !== null && code >= 200 && code < 300 ? 'ok' : 'failed')
      : (e.event === 'dead_lettered' ? 'failed' : 'state');
    const head = h('div', {class: 'entry-head'},
      h('time', {datetime: e.timestamp, title: relativeTime(e.timestamp)}, absoluteTime(e.timestamp)),
      e.event === 'api_call' ? null : h('span', {class: 'event event-' + String(e.event)}, String(e.event)),
      call
        // 0: no response came (the seed's shape; the error is the response body)
        ? [h('span', {class: 'code code-' + kind}, code === null || code === 0 ? 'no response' : String(code)),
            h('span', {class: 'request'}, maskRequest(e.request || 'api call'))]
        : null,
      typeof e.batch_size === 'number' ? h('span', {class: 'muted'}, `${e.batch_size} message${e.batch_size === 1 ? '' : 's'}`) : null,
      typeof e.duration_ms === 'number' ? h('span', {class: 'muted'}, `${e.duration_ms} ms`) : null,
      e.batch_id ? h('span', {class: 'muted batch-id'}, 'batch ', h('code', {}, String(e.batch_id))) : null);
    const parts = [head];
    if (e.message) {
      parts.push(h('p', {class: 'message'}, e.message));
    }
    if (e.response_body) {
      parts.push(h('pre', {class: 'body-excerpt'}, excerpt(e.response_body, BODY_EXCERPT)));
    }
    const req = Array.isArray(e.request_headers) ? e.request_headers : [];
    const res = Array.isArray(e.response_headers) ? e.response_headers : [];
    if (req.length || res.length) {
      const details = h('details', {open: openDetails.has(key)},
        h('summary', {'data-key': key}, 'Headers'),
        req.length ? [h('h3', {}, 'Request'), h('ul', {class: 'headers'}, req.map((x) => h('li', {}, h('code', {}, maskHeader(x)))))] : null,
        res.length ? [h('h3', {}, 'Response'), h('ul', {class: 'headers'}, res.map((x) => h('li', {}, h('code', {}, maskHeader(x)))))] : null);
      details.addEventListener('toggle', () => (details.open ? openDetails.add(key) : openDetails.delete(key)));
      parts.push(details);
    }
    return h('li', {class: 'entry entry-' + kind}, parts);
  }

  function drawConfig(doc, st) {
    const webhook = doc.destination?.webhook || {};
    const c = doc.configuration || {};
    const sources = Array.isArray(doc.source) ? doc.source : [];
    replace(config, h('dl', {class: 'facts'},
      ...fact('Id', h('code', {}, doc.id)),
      ...fact('Active', doc.active === 'no' ? 'no (paused)' : 'yes'),
      ...fact('Destination', h('code', {class: 'url'}, maskUrl(st.payload_url || webhook.url))),
      ...fact('Headers', list((webhook.headers || []).map(maskHeader))),
      ...fact('Signing secret', webhook.signing_secret ? h('code', {}, webhook.signing_secret.startsWith('whsec_') ? 'whsec_****' : '****') : 'none'),
      ...fact('Topics and filters', h('ul', {class: 'plain'}, sources.map((x) => h('li', {},
        h('code', {}, x.topic),
        (x.jmes_filters || []).length ? [' where ', (x.jmes_filters || []).map((f, i) => [i ? ' and ' : '', h('code', {}, f)])] : ' (every message)')))),
      ...fact('Batching', c.batching ? `up to ${c.batching.max_batch_size} messages or ${
        c.batching.max_batch_interval_seconds !== undefined ? c.batching.max_batch_interval_seconds + ' s' : c.batching.max_batch_interval_ms + ' ms'}` : '—'),
      ...fact('Retry', c.retry ? `${c.retry.retry_algorithm}, ${c.retry.max_retries} retries, ${c.retry.initial_delay_ms} ms to ${c.retry.max_delay_ms} ms` : '—'),
      ...fact('When retries are exhausted', h('span', {id: 'on-exhausted'}, c.retry?.on_exhausted === 'dead_letter'
        ? 'dead_letter: the batch goes to the dead letters and delivery goes on'
        : 'keep_retrying: the batch is retried until the webhook accepts it')),
      ...fact('Ordering', h('span', {id: 'ordering'}, `${c.ordering || 'partition'}: ${orderingText(c)}`)),
      ...fact('Parallelism', c.parallelism ? `${c.parallelism} engine${c.parallelism === 1 ? '' : 's'}` : '1 engine'),
      ...fact('Rate limit', c.rate_limit ? `${c.rate_limit.max_requests_per_second} requests per second` : 'none'),
      ...fact('Alerts', c.alerting ? [String(c.alerting.alert_channel || ''), ' ', (c.alerting.alert_emails || []).join(', ')] : 'none'),
      ...fact('Version', [String(doc.version), ', updated ', timeAgo(doc.updated_at), ', created ', timeAgo(doc.created_at)])));
  }

  return {element, refresh};
}

const ORDERING = {
  partition: 'by partition (one batch of a partition in flight at a time)',
  key: 'by key (batches whose keys differ in flight together; messages without a key as one key)',
  none: 'none (batches in flight together, in any order)',
};

/** The delivery order and the in-flight limit; documents from before ordering existed mean partition order. */
function orderingText(c) {
  const mode = c.ordering || 'partition';
  const limit = c.max_in_flight ?? 16;
  return `${ORDERING[mode] || mode}, up to ${limit} batch${limit === 1 ? '' : 'es'} in flight`;
}

/**
 * The batch that is failing now: the newest api_call's, when it was refused and has not been
 * dead-lettered since (activity is newest first).
 */
function failingBatch(activity) {
  const lastCall = activity.find((e) => e.event === 'api_call');
  if (!lastCall || !lastCall.batch_id) {
    return null;
  }
  const code = typeof lastCall.response_code === 'number' ? lastCall.response_code : 0;
  if (code >= 200 && code < 300) {
    return null;
  }
  const settled = activity.some((e) => e.event === 'dead_lettered' && e.batch_id === lastCall.batch_id);
  return settled ? null : lastCall.batch_id;
}

function fact(name, value) {
  return [h('dt', {}, name), h('dd', {}, value)];
}

function list(items) {
  return items.length === 0 ? 'none' : h('ul', {class: 'plain'}, items.map((x) => h('li', {}, h('code', {}, x))));
}

/** "POST {url}" with the secrets of the URL masked. */
function maskRequest(request) {
  const text = String(request);
  const sp = text.indexOf(' ');
  return sp < 0 ? text : text.slice(0, sp + 1) + maskUrl(text.slice(sp + 1));
}
