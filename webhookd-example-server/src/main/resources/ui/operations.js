// The day-2 operations of one subscription's page: its dead letters (redeliver all or one,
// discard one), replay from a date and time, send a test message, skip a failing batch.

import {call, errorBox, ApiError} from './api.js';
import {absoluteTime, excerpt, h, num, replace, timeAgo} from './dom.js';

const PAGE = 50;
const VALUE_EXCERPT = 200;

function path(id) {
  return '/1/Subscription/' + encodeURIComponent(id);
}

/** Reports a failed call in box; signs out on a 401. */
function failed(e, box, what, ctx) {
  if (e instanceof ApiError && e.status === 401) {
    ctx.signOut('The server no longer accepts your key (401): sign in again.');
    return;
  }
  replace(box, errorBox(e, what));
}

/**
 * The dead letters card: the first page, each with its record and failure, Redeliver and Discard
 * buttons, and Redeliver all. Refreshed with the page.
 */
export function deadLettersCard(id, ctx) {
  const summary = h('p', {id: 'dead-letters-summary', class: 'muted', 'aria-live': 'polite'});
  const notice = h('div', {id: 'dead-letters-status', 'aria-live': 'polite'});
  const all = h('button', {type: 'button', class: 'button secondary', id: 'redeliver-all', hidden: true}, 'Redeliver all');
  all.addEventListener('click', () => redeliver(null, all));
  const rows = h('tbody', {id: 'dead-letters'});
  const table = h('div', {class: 'table-wrap', hidden: true}, h('table', {class: 'subscriptions dead-letters'},
    h('caption', {class: 'visually-hidden'}, 'Dead letters, oldest first'),
    h('thead', {}, h('tr', {},
      ['Record', 'Key', 'Value', 'Failure', 'Dead-lettered', ''].map((c) => h('th', {scope: 'col'}, c)))),
    rows));
  const element = h('section', {class: 'card wide', 'aria-labelledby': 'dead-letters-title', id: 'dead-letters-card'},
    h('h2', {id: 'dead-letters-title'}, 'Dead letters'),
    h('p', {class: 'muted'}, 'Messages the webhook did not accept: their batch exhausted its retries under on_exhausted dead_letter, or it was skipped. Redeliver sends them again, signed; each leaves this list once the webhook accepts it.'),
    summary, h('div', {class: 'actions'}, all), notice, table);
  let unsupported = false;

  async function refresh() {
    if (unsupported) {
      return;
    }
    let page;
    try {
      page = (await call('GET', path(id) + '/DeadLetters?limit=' + PAGE)).json;
    } catch (e) {
      if (e instanceof ApiError && e.status === 501) {
        unsupported = true;
        replace(summary, 'This server\'s store keeps no dead letters.');
        all.hidden = true;
        table.hidden = true;
        return;
      }
      if (e instanceof ApiError && e.status === 401) {
        throw e;
      }
      if (e instanceof ApiError && e.status === 404) {
        return; // the subscription is gone: its page says so
      }
      replace(summary, errorBox(e, 'Loading the dead letters'));
      return;
    }
    const letters = Array.isArray(page.dead_letters) ? page.dead_letters : [];
    replace(summary, letters.length === 0 ? 'None.'
      : `${letters.length}${page.next ? '+' : ''} dead letter${letters.length === 1 && !page.next ? '' : 's'}` + (page.next ? ` (the oldest ${PAGE} shown).` : '.'));
    all.hidden = letters.length === 0;
    table.hidden = letters.length === 0;
    const focused = rows.contains(document.activeElement) ? document.activeElement.id : null;
    replace(rows, letters.map(row));
    if (focused) {
      document.getElementById(focused)?.focus({preventScroll: true});
    }
  }

  function row(d) {
    const redo = h('button', {type: 'button', class: 'button secondary', id: 'redeliver-' + d.id, 'data-id': d.id}, 'Redeliver');
    redo.addEventListener('click', () => redeliver([d.id], redo));
    const discard = h('button', {type: 'button', class: 'button secondary', id: 'discard-' + d.id, 'data-id': d.id}, 'Discard…');
    discard.addEventListener('click', () => discardOne(d, discard));
    const value = d.value === undefined ? '' : (typeof d.value === 'string' ? d.value : JSON.stringify(d.value));
    return h('tr', {'data-id': d.id},
      h('td', {'data-label': 'Record'}, h('code', {}, `${d.topic}/${d.partition}/${d.offset}`)),
      h('td', {'data-label': 'Key'}, d.key === null || d.key === undefined ? h('span', {class: 'muted'}, 'none') : h('code', {}, excerpt(d.key, 80))),
      h('td', {'data-label': 'Value', class: 'value'}, h('code', {}, excerpt(value, VALUE_EXCERPT))),
      h('td', {'data-label': 'Failure'},
        d.status_code === null || d.status_code === undefined ? 'no response' : 'HTTP ' + d.status_code,
        ` after ${num(d.attempts)} attempt${d.attempts === 1 ? '' : 's'}`,
        d.reason === 'skipped' ? ' (skipped)' : '',
        d.error ? h('div', {class: 'muted'}, excerpt(d.error, 200)) : null),
      h('td', {'data-label': 'Dead-lettered'}, timeAgo(d.dead_lettered_at)),
      h('td', {'data-label': 'Actions'}, h('div', {class: 'row-actions'}, redo, discard)));
  }

  async function redeliver(ids, button) {
    button.disabled = true;
    replace(notice, h('p', {class: 'muted'}, 'Sending…'));
    try {
      const {json} = await call('POST', path(id) + '/DeadLetters/Redeliver', {body: ids ? {ids} : {}});
      const n = json.redelivering;
      replace(notice, h('p', {class: 'ok-text', role: 'status'},
        `Redelivering ${n} dead letter${n === 1 ? '' : 's'}: each leaves the list once the webhook accepts it; the recent activity shows the requests.`));
    } catch (e) {
      failed(e, notice, 'Redelivering', ctx);
    }
    button.disabled = false;
    await ctx.refresh();
  }

  async function discardOne(d, button) {
    const yes = await ctx.confirm({
      title: 'Discard this dead letter?',
      text: `The message ${d.topic}/${d.partition}/${d.offset} is removed for good and never delivered.`,
      ok: 'Discard',
    });
    if (!yes) {
      return;
    }
    button.disabled = true;
    try {
      await call('DELETE', path(id) + '/DeadLetters/' + encodeURIComponent(d.id));
      replace(notice, h('p', {class: 'ok-text', role: 'status'}, `Discarded ${d.topic}/${d.partition}/${d.offset}.`));
    } catch (e) {
      failed(e, notice, 'Discarding', ctx);
    }
    await ctx.refresh();
  }

  return {element, refresh};
}

/** Replay from a date and time (the browser's time zone), after a confirmation. */
export function replayCard(id, ctx) {
  const input = h('input', {id: 'replay-time', type: 'datetime-local', step: '1', required: true});
  const button = h('button', {type: 'submit', class: 'button secondary', id: 'replay-submit'}, 'Replay from this time…');
  const notice = h('div', {id: 'replay-status', 'aria-live': 'polite'});
  const form = h('form', {class: 'inline-form', novalidate: true},
    h('div', {class: 'field'}, h('label', {for: 'replay-time'}, 'From (your time zone)'), input),
    button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const at = new Date(input.value);
    if (!input.value || Number.isNaN(at.getTime())) {
      replace(notice, h('p', {class: 'error', role: 'alert'}, 'Choose a date and time first.'));
      input.focus();
      return;
    }
    const iso = at.toISOString();
    const yes = await ctx.confirm({
      title: 'Replay from ' + absoluteTime(iso) + '?',
      text: 'Every message from that time on is delivered again (filters apply as always); the subscription\'s consumer group moves there on every engine.',
      ok: 'Replay',
    });
    if (!yes) {
      return;
    }
    button.disabled = true;
    replace(notice, h('p', {class: 'muted'}, 'Moving the consumer group…'));
    try {
      const {json} = await call('POST', path(id) + '/Replay', {body: {from: {timestamp: iso}}});
      const positions = Array.isArray(json.positions) ? json.positions : [];
      replace(notice, h('div', {class: 'ok-text', role: 'status'},
        h('p', {}, `Replaying from ${absoluteTime(iso)}: delivering again from`),
        h('ul', {class: 'plain', id: 'replay-positions'}, positions.map((p) => h('li', {}, h('code', {}, `${p.topic}/${p.partition} offset ${p.offset}`))))));
    } catch (e) {
      failed(e, notice, 'Replaying', ctx);
    }
    button.disabled = false;
    await ctx.refresh();
  });
  const element = h('section', {class: 'card', 'aria-labelledby': 'replay-title'},
    h('h2', {id: 'replay-title'}, 'Replay'),
    h('p', {class: 'muted'}, 'Deliver again every message from a date and time on.'),
    form, notice);
  return {element};
}

/** Sends a test message and shows what the webhook answered in notice. */
export async function sendTest(id, ctx, notice, button) {
  button.disabled = true;
  replace(notice, h('p', {class: 'muted'}, 'Sending a test message…'));
  try {
    const {json} = await call('POST', path(id) + '/Test', {body: {}});
    const code = json.status_code === null || json.status_code === undefined ? 'no response' : 'HTTP ' + json.status_code;
    replace(notice, h('div', {id: 'test-result', class: json.error ? 'error' : 'ok-text', role: 'status'},
      h('p', {}, h('strong', {}, json.error ? 'Test message failed: ' : 'Test message delivered: '),
        `${code} in ${num(json.duration_ms)} ms`),
      json.error ? h('p', {}, json.error) : null,
      json.response_body ? h('pre', {class: 'body-excerpt'}, excerpt(json.response_body, 400)) : null));
  } catch (e) {
    failed(e, notice, 'Sending a test message', ctx);
  }
  button.disabled = false;
  await ctx.refresh();
}

/** Skips a failing batch after a confirmation; shows the outcome in notice. */
export async function skipBatch(id, batchId, ctx, notice) {
  const yes = await ctx.confirm({
    title: 'Skip the failing batch?',
    text: `Batch ${batchId} goes to the dead letters now, and delivery moves on to the next messages. You can redeliver it from the dead letters later.`,
    ok: 'Skip batch',
  });
  if (!yes) {
    return;
  }
  replace(notice, h('p', {class: 'muted'}, 'Skipping…'));
  try {
    await call('POST', path(id) + '/Skip', {body: {batch_id: batchId}});
    replace(notice, h('p', {class: 'ok-text', role: 'status'}, `Skipped batch ${batchId}: it is in the dead letters, and delivery goes on.`));
  } catch (e) {
    failed(e, notice, 'Skipping', ctx);
  }
  await ctx.refresh();
}
