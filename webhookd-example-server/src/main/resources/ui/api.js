// The REST API of webhookd, called with the operator's API key. The key lives in this tab's
// session storage only: it is sent in the Authorization header, never put in a URL.

import {h} from './dom.js';

const KEY = 'webhookd.apiKey';
const ROLE = 'webhookd.role';

/** The signed-in key and role ("admin" or "client"), or null. */
export function session() {
  const key = sessionStorage.getItem(KEY);
  return key ? {key, role: sessionStorage.getItem(ROLE) || 'client'} : null;
}

export function saveSession(key, role) {
  sessionStorage.setItem(KEY, key);
  sessionStorage.setItem(ROLE, role);
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(ROLE);
}

/** An answer of the API that is not a success, with the API's error and details when it sent them. */
export class ApiError extends Error {
  constructor(status, error, details) {
    super(error);
    this.status = status;
    this.details = Array.isArray(details) ? details : [];
  }
}

/**
 * Calls the API: resolves to {status, json, etag} on 2xx, rejects with an ApiError otherwise
 * (status 0 when the server could not be reached).
 */
export async function call(method, path, {key, body, headers} = {}) {
  const init = {
    method,
    headers: {'Accept': 'application/json', ...(headers || {})},
    cache: 'no-store',
    credentials: 'omit',
    referrerPolicy: 'no-referrer',
  };
  const k = key || session()?.key;
  if (k) {
    init.headers['Authorization'] = 'Bearer ' + k;
  }
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'the server could not be reached (' + e.message + ')');
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = null;
  }
  if (!response.ok) {
    const error = json && typeof json.error === 'string' ? json.error : (text.slice(0, 300) || response.statusText);
    throw new ApiError(response.status, error, json && json.details);
  }
  return {status: response.status, json, etag: response.headers.get('ETag')};
}

/** The error as a person reads it, in a box that screen readers announce. */
export function errorBox(error, what) {
  const status = error instanceof ApiError ? error.status : 0;
  const lead = status ? `${what} failed: the server answered ${status}` : `${what} failed`;
  const details = error instanceof ApiError ? error.details : [];
  return h('div', {class: 'error', role: 'alert'},
    h('p', {}, h('strong', {}, lead + ': '), String(error.message || error)),
    details.length === 0 ? null : h('ul', {},
      details.map((d) => h('li', {}, h('code', {}, String(d.field)), ' ', String(d.message)))));
}
