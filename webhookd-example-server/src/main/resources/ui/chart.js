// Two small inline SVG charts drawn from the api_call entries of recent_activity: deliveries and
// failures per time slot, and the latency of each call. No library: rectangles, circles and text.

import {h, s} from './dom.js';

const W = 640;
const H = 170;
const M = {left: 52, right: 12, top: 12, bottom: 30};
const SLOTS = 24;

/**
 * calls: [{t: epoch ms, ok: boolean, code: number|null, duration: ms|null}], any order.
 * Returns a <div> with both charts, or a note when there is nothing to draw.
 */
export function deliveryCharts(calls, now = Date.now()) {
  if (calls.length === 0) {
    return h('p', {class: 'muted', id: 'chart-empty'}, 'No delivery attempts in the recent activity yet.');
  }
  const earliest = Math.min(...calls.map((c) => c.t));
  // at least a minute, at most the last hour, ending now, with a little room before the first call
  const span = Math.min(Math.max((now - earliest) * 1.05, 60_000), 3_600_000);
  const start = now - span;
  const shown = calls.filter((c) => c.t >= start);
  return h('div', {class: 'charts'},
    countsChart(shown, start, now),
    latencyChart(shown, start, now));
}

function countsChart(calls, start, end) {
  const width = (end - start) / SLOTS;
  const slots = Array.from({length: SLOTS}, () => ({ok: 0, failed: 0}));
  for (const c of calls) {
    const i = Math.min(SLOTS - 1, Math.max(0, Math.floor((c.t - start) / width)));
    slots[i][c.ok ? 'ok' : 'failed'] += 1;
  }
  const delivered = calls.filter((c) => c.ok).length;
  const failed = calls.length - delivered;
  const max = Math.max(1, ...slots.map((x) => x.ok + x.failed));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const y = (v) => M.top + plotH - (v / max) * plotH;
  const barW = plotW / SLOTS;
  const title = `Delivery attempts, ${minutes(end - start)}: ${delivered} delivered, ${failed} failed`;
  const bars = [];
  slots.forEach((slot, i) => {
    const x = M.left + i * barW + 1;
    const w = Math.max(1, barW - 2);
    if (slot.ok) {
      bars.push(s('rect', {class: 'bar-ok', x, y: y(slot.ok), width: w, height: y(0) - y(slot.ok)},
        s('title', {}, `${slot.ok} delivered`)));
    }
    if (slot.failed) {
      bars.push(s('rect', {class: 'bar-failed', x, y: y(slot.ok + slot.failed), width: w, height: y(slot.ok) - y(slot.ok + slot.failed)},
        s('title', {}, `${slot.failed} failed`)));
    }
  });
  return figure('chart-counts', title,
    [...axes(max, String(max), start, end), ...bars],
    [['swatch-ok', `delivered (${delivered})`], ['swatch-failed', `failed (${failed})`]]);
}

function latencyChart(calls, start, end) {
  const timed = calls.filter((c) => typeof c.duration === 'number');
  const max = Math.max(1, ...timed.map((c) => c.duration));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (t) => M.left + ((t - start) / (end - start)) * plotW;
  const y = (v) => M.top + plotH - (v / max) * plotH;
  const sorted = [...timed].sort((a, b) => a.t - b.t);
  const ok = sorted.filter((c) => c.ok);
  const median = ok.length ? [...ok].sort((a, b) => a.duration - b.duration)[Math.floor(ok.length / 2)].duration : null;
  const title = `Delivery latency, ${minutes(end - start)}: ` + (timed.length === 0 ? 'no timings'
    : `${timed.length} call${timed.length === 1 ? '' : 's'}, slowest ${max} ms`
      + (median === null ? '' : `, median of the delivered ${median} ms`));
  const marks = [];
  if (ok.length > 1) {
    marks.push(s('polyline', {class: 'line-ok', points: ok.map((c) => `${x(c.t).toFixed(1)},${y(c.duration).toFixed(1)}`).join(' ')}));
  }
  for (const c of sorted) {
    marks.push(s('circle', {class: c.ok ? 'dot-ok' : 'dot-failed', cx: x(c.t).toFixed(1), cy: y(c.duration).toFixed(1), r: 3.5},
      s('title', {}, `${c.duration} ms, ${c.code === null ? 'no response' : c.code}`)));
  }
  return figure('chart-latency', title,
    [...axes(max, max + ' ms', start, end), ...marks],
    [['swatch-ok', 'delivered'], ['swatch-failed', 'failed']]);
}

function axes(max, maxLabel, start, end) {
  const bottom = H - M.bottom;
  return [
    s('line', {class: 'axis', x1: M.left, y1: M.top, x2: M.left, y2: bottom}),
    s('line', {class: 'axis', x1: M.left, y1: bottom, x2: W - M.right, y2: bottom}),
    s('line', {class: 'grid', x1: M.left, y1: M.top, x2: W - M.right, y2: M.top}),
    s('text', {class: 'tick', x: M.left - 6, y: M.top + 4, 'text-anchor': 'end'}, maxLabel),
    s('text', {class: 'tick', x: M.left - 6, y: bottom + 4, 'text-anchor': 'end'}, '0'),
    s('text', {class: 'tick', x: M.left, y: H - 10, 'text-anchor': 'start'}, clock(start)),
    s('text', {class: 'tick', x: W - M.right, y: H - 10, 'text-anchor': 'end'}, 'now ' + clock(end)),
  ];
}

function figure(id, title, children, legend) {
  const titleId = id + '-title';
  return h('figure', {class: 'chart', id},
    s('svg', {viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': titleId, preserveAspectRatio: 'xMidYMid meet'},
      s('title', {id: titleId}, title),
      children),
    h('figcaption', {},
      h('span', {class: 'chart-title'}, title),
      h('span', {class: 'legend'}, legend.map(([cls, text]) =>
        h('span', {class: 'legend-item'}, h('span', {class: 'swatch ' + cls, 'aria-hidden': 'true'}), text)))));
}

function clock(ms) {
  const d = new Date(ms);
  const p = (x) => String(x).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function minutes(ms) {
  const m = Math.round(ms / 60000);
  return m <= 1 ? 'last minute' : `last ${m} minutes`;
}
