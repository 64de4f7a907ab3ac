// Create or edit a subscription. Each source's filters show a preview as you type: after a short
// pause the page asks POST /1/FilterPreview what they match among the topic's last messages,
// under the key's own policy (a client sees only what its row filter lets through).

import {call, errorBox, ApiError} from './api.js';
import {excerpt, h, num, replace, subscriptionHref} from './dom.js';

/** How long the page waits after the last keystroke before asking for a preview. */
export const PREVIEW_DELAY_MS = 400;
const PREVIEW_LIMIT = 200;

/** The signing secret of a subscription just created, shown once on its page, never stored. */
let created = null;

/** The secret of the subscription just created with this id, once; null otherwise. */
export function takeCreatedSecret(id) {
  if (created && created.id === id) {
    const secret = created.secret;
    created = null;
    return secret;
  }
  return null;
}

export function formView(id, ctx) {
  const editing = id !== null;
  const title = h('h1', {id: 'form-title'}, editing ? 'Edit subscription' : 'New subscription');
  const problem = h('div', {id: 'form-error'});
  const status = h('div', {id: 'form-status', 'aria-live': 'polite'});
  const name = input('form-name', 'text');
  const url = input('form-url', 'url');
  const headers = h('textarea', {id: 'form-headers', rows: '3', spellcheck: 'false', 'aria-describedby': 'form-headers-help'});
  const sources = h('div', {id: 'form-sources'});
  const addSource = h('button', {type: 'button', class: 'button secondary', id: 'add-source'}, 'Add a source');
  const preview = h('div', {id: 'filter-preview', class: 'preview', 'aria-live': 'polite'});
  const batchSize = input('form-batch-size', 'number', {min: '1', max: '1000'});
  const batchInterval = input('form-batch-interval', 'number', {min: '1', max: '300'});
  const maxRetries = input('form-max-retries', 'number', {min: '0', max: '10'});
  const algorithm = select('form-retry-algorithm', [['exponential_backoff', 'exponential backoff'], ['fixed_time', 'fixed time']]);
  const onExhausted = select('form-on-exhausted', [
    ['keep_retrying', 'keep retrying (nothing is skipped; the subscription turns unhealthy)'],
    ['dead_letter', 'move the batch to the dead letters and go on']]);
  const ordering = select('form-ordering', [
    ['partition', 'per partition (one batch of a partition at a time)'],
    ['key', 'per key (batches of different keys at once)'],
    ['none', 'none (batches at once)']]);
  const save = h('button', {type: 'submit', class: 'button', id: 'form-save'}, editing ? 'Save changes' : 'Create subscription');
  const cancel = h('a', {class: 'button secondary', href: editing ? subscriptionHref(id) : '#/'}, 'Cancel');
  const form = h('form', {class: 'card subscription-form', novalidate: true},
    field('Name', name),
    field('Webhook URL', url),
    h('div', {class: 'field'}, h('label', {for: 'form-headers'}, 'Headers'), headers,
      h('p', {id: 'form-headers-help', class: 'muted'}, 'One "Name: value" a line. Values read back masked (****) keep what is stored.')),
    h('fieldset', {}, h('legend', {}, 'Sources'),
      h('p', {class: 'muted'}, 'A topic and its JMESPath filters, one a line; every filter must match (value.amount > `100`). The preview shows what they match among the topic\'s last ' + PREVIEW_LIMIT + ' messages.'),
      sources, addSource, preview),
    h('fieldset', {}, h('legend', {}, 'Delivery'),
      h('div', {class: 'form-grid'},
        field('Batch size (messages)', batchSize),
        field('Batch interval (seconds)', batchInterval),
        field('Retries', maxRetries),
        field('Retry delays', algorithm),
        field('When retries are exhausted', onExhausted),
        field('Ordering', ordering))),
    problem,
    h('div', {class: 'actions'}, save, cancel),
    status);
  const element = h('section', {class: 'view form-view', 'aria-labelledby': 'form-title'},
    h('p', {class: 'back'}, h('a', {href: editing ? subscriptionHref(id) : '#/'}, editing ? '← The subscription' : '← All subscriptions')),
    title, form);

  let loaded = false;
  let current = null;
  let etag = null;
  let intervalMs = null;
  let rowCount = 0;
  let timer = null;
  let asked = 0;

  addSource.addEventListener('click', () => {
    const row = sourceRow('', []);
    sources.append(row);
    row.querySelector('input').focus();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit();
  });

  function sourceRow(topic, filters) {
    const n = rowCount++;
    const t = input('source-topic-' + n, 'text', {value: topic, class: 'source-topic'});
    const f = h('textarea', {id: 'source-filters-' + n, rows: '2', spellcheck: 'false', class: 'source-filters'});
    f.value = filters.join('\n');
    const remove = h('button', {type: 'button', class: 'button secondary', 'aria-label': 'Remove this source'}, 'Remove');
    const row = h('div', {class: 'source-row', 'data-row': String(n)},
      field('Topic', t), h('div', {class: 'field'}, h('label', {for: 'source-filters-' + n}, 'Filters'), f), remove);
    remove.addEventListener('click', () => {
      row.remove();
      schedulePreview();
    });
    t.addEventListener('input', schedulePreview);
    f.addEventListener('input', schedulePreview);
    return row;
  }

  function sourcesNow() {
    return [...sources.querySelectorAll('.source-row')].map((row) => ({
      topic: row.querySelector('.source-topic').value.trim(),
      jmes_filters: row.querySelector('.source-filters').value.split('\n').map((x) => x.trim()).filter((x) => x !== ''),
    }));
  }

  function schedulePreview() {
    if (timer) {
      clearTimeout(timer);
    }
    timer = setTimeout(() => {
      timer = null;
      runPreview();
    }, PREVIEW_DELAY_MS);
  }

  async function runPreview() {
    const wanted = sourcesNow().filter((s) => s.topic !== '');
    const mine = ++asked;
    if (wanted.length === 0) {
      replace(preview);
      return;
    }
    preview.setAttribute('aria-busy', 'true');
    try {
      const {json} = await call('POST', '/1/FilterPreview', {body: {source: wanted, limit: PREVIEW_LIMIT}});
      if (mine !== asked) {
        return; // the filters changed meanwhile: a newer preview is on its way
      }
      replace(preview, (json.sources || []).map(previewOf));
    } catch (e) {
      if (mine !== asked) {
        return;
      }
      if (e instanceof ApiError && e.status === 401) {
        ctx.signOut('The server no longer accepts your key (401): sign in again.');
        return;
      }
      replace(preview, errorBox(e, 'The preview'));
    } finally {
      if (mine === asked) {
        preview.removeAttribute('aria-busy');
      }
    }
  }

  function previewOf(s, i) {
    const samples = Array.isArray(s.samples) ? s.samples : [];
    return h('div', {class: 'preview-source', 'data-topic': s.topic, id: 'preview-' + i},
      h('p', {class: 'preview-count'}, h('code', {}, s.topic), ': ',
        h('strong', {}, `${num(s.matched)} of ${num(s.examined)}`), ' recent messages match'),
      (s.errors || []).map((x) => h('p', {class: 'error-text preview-error'}, x)),
      (s.warnings || []).map((x) => h('p', {class: 'warning preview-warning'}, x)),
      samples.length === 0 ? null : h('details', {},
        h('summary', {}, `${samples.length} matching message${samples.length === 1 ? '' : 's'}`),
        samples.map((m) => h('pre', {class: 'body-excerpt'}, excerpt(JSON.stringify(m, null, 1), 800)))));
  }

  async function refresh() {
    if (loaded) {
      return; // a form being filled in is not redrawn
    }
    let doc = null;
    if (editing) {
      try {
        const answer = await call('GET', '/1/Subscription/' + encodeURIComponent(id));
        doc = answer.json;
        etag = answer.etag;
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) {
          throw e;
        }
        replace(problem, errorBox(e, 'Loading the subscription'));
        if (e instanceof ApiError && e.status === 404) {
          loaded = true;
          form.hidden = false;
          save.disabled = true;
        }
        return;
      }
    }
    loaded = true;
    current = doc;
    fill(doc);
  }

  function fill(doc) {
    const webhook = doc?.destination?.webhook || {};
    const c = doc?.configuration || {};
    name.value = doc?.name || '';
    url.value = webhook.url || '';
    headers.value = (webhook.headers || []).join('\n');
    const list = Array.isArray(doc?.source) && doc.source.length ? doc.source : [{topic: '', jmes_filters: []}];
    replace(sources, list.map((x) => sourceRow(x.topic || '', x.jmes_filters || [])));
    batchSize.value = String(c.batching?.max_batch_size ?? 100);
    intervalMs = c.batching?.max_batch_interval_ms ?? null;
    batchInterval.value = String(c.batching?.max_batch_interval_seconds ?? (intervalMs !== null ? Math.max(1, Math.round(intervalMs / 1000)) : 1));
    batchInterval.dataset.loaded = batchInterval.value;
    maxRetries.value = String(c.retry?.max_retries ?? 3);
    algorithm.value = c.retry?.retry_algorithm || 'exponential_backoff';
    onExhausted.value = c.retry?.on_exhausted || 'keep_retrying';
    ordering.value = c.ordering || 'partition';
    if (editing) {
      runPreview();
    }
  }

  function document_() {
    const doc = current ? JSON.parse(JSON.stringify(current)) : {active: 'yes'};
    doc.name = name.value;
    const webhook = {...(doc.destination?.webhook || {})};
    webhook.url = url.value.trim();
    webhook.headers = headers.value.split('\n').map((x) => x.trim()).filter((x) => x !== '');
    doc.destination = {kind: 'webhook', webhook};
    doc.source = sourcesNow();
    const c = {...(doc.configuration || {})};
    const batching = {...(c.batching || {}), max_batch_size: number(batchSize.value)};
    if (intervalMs !== null && batchInterval.value === batchInterval.dataset.loaded) {
      // an interval of milliseconds the form cannot show is kept as it is
      delete batching.max_batch_interval_seconds;
    } else {
      batching.max_batch_interval_seconds = number(batchInterval.value);
      delete batching.max_batch_interval_ms;
    }
    c.batching = batching;
    c.retry = {...(c.retry || {}), max_retries: number(maxRetries.value), retry_algorithm: algorithm.value, on_exhausted: onExhausted.value};
    c.ordering = ordering.value;
    doc.configuration = c;
    return doc;
  }

  async function submit() {
    save.disabled = true;
    replace(problem);
    replace(status, h('p', {class: 'muted'}, editing ? 'Saving…' : 'Creating…'));
    try {
      if (editing) {
        await call('PUT', '/1/Subscription/' + encodeURIComponent(id),
          {body: document_(), headers: etag ? {'If-Match': etag} : {}});
        location.hash = subscriptionHref(id);
      } else {
        const {json} = await call('POST', '/1/Subscription', {body: document_()});
        created = {id: json.id, secret: json.destination?.webhook?.signing_secret || ''};
        location.hash = subscriptionHref(json.id);
      }
    } catch (e) {
      save.disabled = false;
      replace(status);
      if (e instanceof ApiError && e.status === 401) {
        ctx.signOut('The server no longer accepts your key (401): sign in again.');
        return;
      }
      replace(problem, errorBox(e, editing ? 'Saving' : 'Creating the subscription'));
      problem.querySelector('[role="alert"]')?.focus?.();
    }
  }

  return {element, refresh};
}

function input(id, type, attrs = {}) {
  const {value, ...rest} = attrs;
  const el = h('input', {id, name: id, type, autocomplete: 'off', spellcheck: 'false', ...rest});
  if (value !== undefined) {
    el.value = value;
  }
  return el;
}

function select(id, options) {
  return h('select', {id, name: id}, options.map(([value, label]) => h('option', {value}, label)));
}

function field(label, control) {
  return h('div', {class: 'field'}, h('label', {for: control.id}, label), control);
}

/** A whole number when the text is one; otherwise the text, so that the server names the problem. */
function number(text) {
  const t = String(text).trim();
  return /^-?[0-9]{1,15}$/.test(t) ? Number(t) : t;
}
