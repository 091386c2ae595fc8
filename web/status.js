// The status page: polls api/status every two seconds and redraws. Plain DOM, no framework, no build step.
// Everything from the worker goes in through textContent or SVG attributes, never as HTML.
'use strict';

const POLL_MS = 2000;
const SVG = 'http://www.w3.org/2000/svg';
const SETTLEMENT_LABEL = {
  ok: 'ok',
  'dead-lettered': 'dead-lettered',
  cancelled: 'cancelled',
  retried: 'retried',
  'handed-over': 'handed over',
  error: 'requeued',
};
const SETTLEMENT_CLASS = {
  ok: 'ok',
  'dead-lettered': 'bad',
  cancelled: 'warn',
  retried: 'warn',
  'handed-over': 'warn',
  error: 'err',
};
/** The settlements the chart stacks, bottom up. */
const CHART_KEYS = ['ok', 'dead-lettered', 'cancelled', 'retried', 'error'];
/** Results whose output the reader opened, kept open across redraws. */
const opened = new Set();

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== undefined && child !== null) node.append(child);
  return node;
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

/** 850 ms, 12.4 s, 3 min 20 s, 2 h 5 min. */
function duration(ms) {
  if (ms === undefined || ms === null) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** 12 s, 3 min, 2 h 5 min: seconds only while under a minute. */
function coarse(ms) {
  return ms < 60000 ? `${Math.floor(ms / 1000)} s` : duration(ms).replace(/ \d+ s$/, '');
}

function ago(ms) {
  return ms < 5000 ? 'just now' : `${coarse(ms)} ago`;
}

function cell(label, content, cls) {
  const td = el('td', { 'data-label': label, ...(cls ? { class: cls } : {}) });
  td.append(content ?? '–');
  return td;
}

function renderHeader(doc) {
  $('queue').textContent = `queue ${doc.queue} · prefetch ${doc.prefetch} · ${doc.worker.state}`;
  const ready = $('ready');
  ready.textContent = doc.readiness.ready ? 'ready' : 'not ready';
  ready.className = `pill ${doc.readiness.ready ? 'ok' : 'bad'}`;
  const amqp = $('amqp');
  const since = coarse(doc.now - doc.worker.amqp.since);
  amqp.textContent = `RabbitMQ ${doc.worker.amqp.connected ? 'connected' : 'disconnected'} for ${since}`;
  amqp.className = `pill ${doc.worker.amqp.connected ? 'ok' : 'bad'}`;
  const reasons = $('reasons');
  reasons.hidden = doc.readiness.ready;
  reasons.textContent = doc.readiness.reasons.join(' · ');
  $('n-progress').textContent = String(doc.inProgress.length);
  for (const key of ['ok', 'dead-lettered', 'cancelled', 'retried', 'handed-over', 'error', 'received'])
    $(`n-${key}`).textContent = String(doc.totals[key]);
  $('footer').textContent = `docker-dispatch ${doc.version} · up ${coarse(doc.now - doc.startedAt)}`;
}

function renderEngines(doc) {
  const list = $('engines');
  list.replaceChildren(
    ...doc.engines.map((engine) => {
      // n.b. running is null while the count may be stale (quarantined, or the inventory not synced).
      const running = engine.running ?? '?';
      const load = engine.capacity === undefined ? `${running} running` : `${running} / ${engine.capacity} running`;
      const state = !engine.healthy ? 'quarantined' : engine.synced ? 'healthy' : 'healthy, syncing…';
      return el(
        'li',
        { class: `engine ${engine.healthy ? 'ok' : 'bad'}`, 'data-engine': engine.id },
        el('span', { class: 'dot', 'aria-hidden': 'true' }),
        el('span', { class: 'name', text: engine.id }),
        el('span', { class: 'state', text: state }),
        engine.vendor === undefined
          ? undefined
          : el('span', {
              class: 'vendor',
              text: `${engine.vendor} ${engine.version}`,
              title: `API ${engine.apiVersion}`,
            }),
        el('span', { class: 'load', text: load }),
        engine.reason === undefined ? undefined : el('span', { class: 'reason', text: engine.reason }),
      );
    }),
  );
}

function renderChart(doc) {
  const { buckets, bucketMs } = doc.throughput;
  // Drawn at the box's own size (and redrawn at each poll), so text is never stretched.
  const width = Math.max(240, Math.round($('chart').clientWidth || 600));
  const height = 140;
  const top = 6;
  const bottom = 18;
  const total = (b) => CHART_KEYS.reduce((sum, key) => sum + (b.counts[key] ?? 0), 0);
  const max = Math.max(1, ...buckets.map(total));
  const step = width / buckets.length;
  const scale = (height - top - bottom) / max;
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': 'messages finished per interval, last minutes',
    width,
    height,
  });
  for (const y of [0, 0.5, 1]) {
    chart.append(
      svg('line', {
        class: 'grid',
        x1: 0,
        x2: width,
        y1: height - bottom - y * max * scale,
        y2: height - bottom - y * max * scale,
      }),
    );
  }
  buckets.forEach((bucket, i) => {
    let y = height - bottom;
    for (const key of CHART_KEYS) {
      const n = bucket.counts[key] ?? 0;
      if (n === 0) continue;
      const h = n * scale;
      y -= h;
      const bar = svg('rect', {
        class: `bar ${SETTLEMENT_CLASS[key]}`,
        x: i * step + 0.5,
        y,
        width: Math.max(1, step - 1),
        height: h,
      });
      const title = svg('title');
      title.textContent = `${new Date(bucket.start).toLocaleTimeString()}: ${n} ${SETTLEMENT_LABEL[key]}`;
      bar.append(title);
      chart.append(bar);
    }
  });
  const minutes = Math.round((buckets.length * bucketMs) / 60000);
  const label = (x, anchor, text) => {
    const t = svg('text', { x, y: height - 4, 'text-anchor': anchor, class: 'axis' });
    t.textContent = text;
    return t;
  };
  chart.append(label(2, 'start', `${minutes} min ago`), label(width - 2, 'end', 'now'));
  const maxLabel = svg('text', { x: 2, y: top + 8, class: 'axis' });
  maxLabel.textContent = `${max} per ${bucketMs / 1000} s`;
  chart.append(maxLabel);
  $('chart').replaceChildren(chart);
  const lastMinute = buckets.slice(-Math.round(60000 / bucketMs)).reduce((sum, b) => sum + total(b), 0);
  $('rate').textContent = `${lastMinute} in the last minute`;
}

function renderProgress(doc) {
  $('progress').replaceChildren(
    ...doc.inProgress.map((job) =>
      el(
        'tr',
        { 'data-message-id': job.messageId },
        cell('Command', job.command),
        cell('Image', job.image),
        cell('Engine', job.host),
        cell('Container', job.container, 'mono'),
        cell('Running for', duration(job.runningForMs)),
      ),
    ),
  );
  $('progress-empty').hidden = doc.inProgress.length > 0;
}

function outputOf(result) {
  const parts = [];
  if (result.error)
    parts.push(el('div', { class: 'error-text', text: `${result.error.code}: ${result.error.message}` }));
  for (const [name, text] of [
    ['stdout', result.stdout],
    ['stderr', result.stderr],
  ]) {
    if (text === undefined) continue;
    parts.push(el('div', { class: 'stream', text: name }), el('pre', { text: text === '' ? '(empty)' : text }));
  }
  if (parts.length === 0) return '–';
  const key = `${result.messageId}@${result.finishedAt}`;
  const details = el('details', {}, el('summary', { text: result.error ? 'error' : 'show' }), ...parts);
  details.open = opened.has(key);
  details.addEventListener('toggle', () => (details.open ? opened.add(key) : opened.delete(key)));
  return details;
}

function renderRecent(doc) {
  $('recent').replaceChildren(
    ...doc.recent.map((result) => {
      const badge = el('span', {
        class: `badge ${SETTLEMENT_CLASS[result.settlement]}`,
        text: SETTLEMENT_LABEL[result.settlement],
      });
      return el(
        'tr',
        { 'data-message-id': result.messageId },
        cell('Status', badge),
        cell('Command', result.command ?? '(none)'),
        cell('Container', result.container, 'mono'),
        cell('Engine', result.host),
        cell(
          'Exit',
          result.exitCode === undefined
            ? undefined
            : el('span', { class: result.exitCode ? 'nonzero' : '', text: String(result.exitCode) }),
        ),
        cell('Duration', duration(result.durationMs)),
        cell('Finished', ago(doc.now - result.finishedAt)),
        cell('Output', outputOf(result)),
      );
    }),
  );
  $('recent-empty').hidden = doc.recent.length > 0;
}

async function refresh() {
  try {
    const response = await fetch('api/status', { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const doc = await response.json();
    renderHeader(doc);
    renderEngines(doc);
    renderChart(doc);
    renderProgress(doc);
    renderRecent(doc);
    $('banner').hidden = true;
    document.body.dataset.updated = String(doc.now);
  } catch (err) {
    const banner = $('banner');
    banner.hidden = false;
    banner.textContent = `Cannot reach the worker (${err.message}); retrying…`;
  } finally {
    setTimeout(refresh, POLL_MS);
  }
}

void refresh();
