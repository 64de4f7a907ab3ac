// The operator page: sign-in, hash routes (#/, #/new, #/subscriptions/{id}, #/subscriptions/{id}/edit,
// #/system), and a refresh
// every few seconds of whatever view is shown, without reloading the page.

import {call, clearSession, errorBox, saveSession, session, ApiError} from './api.js';
import {absoluteTime, h, replace} from './dom.js';
import {formView} from './form.js';
import {listView} from './list.js';
import {subscriptionView} from './subscription.js';
import {systemView} from './system.js';

/** How often the shown view asks the API again. */
export const REFRESH_MS = 3000;

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const navSystem = document.getElementById('nav-system');
const who = document.getElementById('who');
const signOutButton = document.getElementById('sign-out');
const banner = document.getElementById('banner');
const updated = document.getElementById('updated');

let view = null;
let timer = null;
let inFlight = false;

function start() {
  signOutButton.addEventListener('click', () => signOut('You are signed out.'));
  window.addEventListener('hashchange', route);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) {
      tick();
    }
  });
  route();
}

// ---------------------------------------------------------------------------------------------
// Sign-in and sign-out

function signInView(notice) {
  const input = h('input', {
    id: 'api-key', name: 'api-key', type: 'password', autocomplete: 'off', spellcheck: 'false',
    required: true, 'aria-describedby': 'api-key-help',
  });
  const status = h('div', {id: 'sign-in-status', 'aria-live': 'polite'});
  const button = h('button', {type: 'submit', class: 'button', id: 'sign-in'}, 'Sign in');
  const form = h('form', {class: 'card sign-in', novalidate: true},
    h('h1', {tabindex: '-1'}, 'Sign in'),
    notice ? h('p', {class: 'notice', role: 'status'}, notice) : null,
    h('label', {for: 'api-key'}, 'API key'),
    input,
    h('p', {id: 'api-key-help', class: 'muted'},
      'The admin key or a client key. It is kept in this browser tab only, until you sign out or close the tab.'),
    button,
    status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) {
      replace(status, h('p', {class: 'error', role: 'alert'}, 'Type an API key first.'));
      input.focus();
      return;
    }
    button.disabled = true;
    replace(status, h('p', {class: 'muted'}, 'Checking the key…'));
    try {
      await call('GET', '/1/Subscription', {key});
      let role = 'client';
      try {
        await call('GET', '/1/EventNotificationAdmin', {key});
        role = 'admin';
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 403) {
          throw e;
        }
      }
      saveSession(key, role);
      input.value = '';
      route();
    } catch (e) {
      const message = e instanceof ApiError && e.status === 401
        ? h('div', {class: 'error', role: 'alert'}, h('p', {}, h('strong', {}, 'That key was not accepted: '),
            'the server answered 401: ' + e.message))
        : errorBox(e, 'Signing in');
      replace(status, message);
      button.disabled = false;
      input.focus();
    }
  });
  return {element: form, focus: input};
}

function signOut(notice) {
  clearSession();
  stopView();
  if (location.hash && location.hash !== '#/') {
    // the next sign-in starts from the list
    history.replaceState(null, '', location.pathname);
  }
  showSignIn(notice);
}

function showSignIn(notice) {
  nav.hidden = true;
  signOutButton.hidden = true;
  banner.hidden = true;
  replace(who);
  replace(updated);
  const v = signInView(notice);
  replace(main, v.element);
  v.focus.focus();
}

// ---------------------------------------------------------------------------------------------
// Routes

function route() {
  const s = session();
  if (!s) {
    stopView();
    showSignIn();
    return;
  }
  nav.hidden = false;
  navSystem.hidden = s.role !== 'admin';
  signOutButton.hidden = false;
  replace(who, s.role === 'admin' ? 'Signed in with the admin key' : 'Signed in with a client key');

  const hash = location.hash || '#/';
  const ctx = {role: s.role, refresh: tick, confirm, signOut};
  stopView();
  let match;
  if (hash === '#/new') {
    view = formView(null, ctx);
  } else if ((match = /^#\/subscriptions\/([^/?#]+)\/edit$/.exec(hash))) {
    view = formView(decodeURIComponent(match[1]), ctx);
  } else if ((match = /^#\/subscriptions\/([^/?#]+)$/.exec(hash))) {
    view = subscriptionView(decodeURIComponent(match[1]), ctx);
  } else if (hash === '#/system') {
    view = systemView(ctx);
  } else {
    view = listView(ctx);
  }
  for (const a of nav.querySelectorAll('a')) {
    const current = a.getAttribute('href') === (hash === '#/system' ? '#/system' : '#/');
    if (current) {
      a.setAttribute('aria-current', 'page');
    } else {
      a.removeAttribute('aria-current');
    }
  }
  replace(main, view.element);
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({preventScroll: true});
  }
  tick();
}

function stopView() {
  if (timer) {
    clearTimeout(timer);
    timer = null;
  }
  view = null;
}

/** Refreshes the shown view (and the admin's offline banner), then plans the next refresh. */
async function tick() {
  if (timer) {
    clearTimeout(timer);
    timer = null;
  }
  const current = view;
  if (!current || inFlight) {
    // a refresh in flight hands over to the new view when it ends
    return;
  }
  inFlight = true;
  let failure = null;
  try {
    await Promise.all([current.refresh(), refreshBanner()]);
  } catch (e) {
    failure = e;
  } finally {
    inFlight = false;
  }
  if (current !== view) {
    // signed out or moved to another view meanwhile: this answer no longer matters
    if (view) {
      tick();
    }
    return;
  }
  if (failure instanceof ApiError && failure.status === 401) {
    signOut('The server no longer accepts your key (401): sign in again.');
    return;
  }
  const now = absoluteTime(new Date().toISOString());
  replace(updated, failure
    ? h('span', {class: 'error-text'}, 'Refresh failed at ' + now + ': ' + failure.message)
    : 'Updated ' + now + ' · refreshes every ' + REFRESH_MS / 1000 + ' s');
  timer = setTimeout(() => {
    timer = null;
    if (!document.hidden) {
      tick();
    }
  }, REFRESH_MS);
}

async function refreshBanner() {
  const s = session();
  if (!s || s.role !== 'admin') {
    banner.hidden = true;
    return;
  }
  const {json} = await call('GET', '/1/EventNotificationAdmin');
  if (json.status === 'offline') {
    replace(banner,
      h('strong', {}, 'All webhooks are offline.'), ' ',
      json.offline_message ? h('span', {}, 'Message: “', json.offline_message, '”. ') : null,
      h('a', {href: '#/system'}, 'System state'));
    banner.hidden = false;
  } else {
    banner.hidden = true;
    replace(banner);
  }
}

// ---------------------------------------------------------------------------------------------
// Confirmation

const dialog = document.getElementById('confirm');

/**
 * Asks before an action: resolves to true when confirmed, false when cancelled (Cancel or Escape).
 * extra, when given, is an element shown in the dialog (a message field, say).
 */
export function confirm({title, text, ok, extra}) {
  replace(document.getElementById('confirm-title'), title);
  replace(document.getElementById('confirm-text'), text);
  replace(document.getElementById('confirm-extra'), extra || null);
  const okButton = document.getElementById('confirm-ok');
  const cancelButton = document.getElementById('confirm-cancel');
  replace(okButton, ok);
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const finish = (answer) => {
      okButton.removeEventListener('click', onOk);
      cancelButton.removeEventListener('click', onCancel);
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) {
        dialog.close();
      }
      if (opener && opener.isConnected) {
        opener.focus();
      }
      resolve(answer);
    };
    const onOk = () => finish(true);
    const onCancel = (event) => {
      if (event) {
        event.preventDefault();
      }
      finish(false);
    };
    okButton.addEventListener('click', onOk);
    cancelButton.addEventListener('click', onCancel);
    dialog.addEventListener('cancel', onCancel);
    dialog.showModal();
    (extra && extra.querySelector('input') || cancelButton).focus();
  });
}

start();
