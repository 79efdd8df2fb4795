/*! askbot FAQ widget: dependency-free, no build step.
 *
 * Embed with one tag (any page, any origin allowed by the server's CORS list):
 *   <script src="https://faq.example.org/widget.js" data-collection="my-article" async></script>
 * Attributes:
 *   data-collection  id of the collection whose questions are offered (optional)
 *   data-api         API base URL; default: the folder this script was loaded from
 *   data-mount       CSS selector: render inline inside that element, with no launcher
 *   data-strings     JSON object that overrides UI strings (keys: see S below), e.g.
 *                    data-strings='{"title": "Fragen zum Artikel", "send": "Senden"}'
 *
 * Theming: set custom properties on the page, e.g. `askbot-widget { --askbot-accent: #8a1538 }`
 *   --askbot-accent      launcher, header, your messages, send button   (#1d4ed8)
 *   --askbot-on-accent   text and icons on the accent colour            (#fff)
 *   --askbot-bg          panel background                               (#fff)
 *   --askbot-text        text                                           (#1f2937)
 *   --askbot-muted       secondary text                                 (#4b5563)
 *   --askbot-bot-bg      the assistant's bubbles                        (#f1f3f6)
 *   --askbot-line        borders                                        (#d1d5db)
 *   --askbot-focus       focus ring                                     (the accent)
 *   --askbot-font        font stack                                     (system-ui, ...)
 *   --askbot-radius      panel corner radius                            (14px)
 *   --askbot-width, --askbot-height   panel size (380px, 600px; inline height 560px)
 *   --askbot-z           z-index of launcher and panel                  (2147483000)
 * Keep text/background pairs at WCAG AA contrast (4.5:1) when changing them.
 *
 * Content-Security-Policy the host page needs: script-src and connect-src allowing the API
 * origin ('self' when the page and API share it). Styles are a constructable stylesheet adopted
 * by the shadow root, which style-src does not govern; only browsers without adoptedStyleSheets
 * (Safari < 16.4) fall back to a <style> element and then need style-src 'unsafe-inline'.
 * No eval, no inline script, no style attributes. A cross-origin API must expose Retry-After
 * (Access-Control-Expose-Headers) for the 429 wait hint to show.
 *
 * Safety: all user, server and translated text goes in through text nodes or setAttribute,
 * never innerHTML, so markup in an answer or a question shows literally.
 */
(() => {
  'use strict';
  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script) return;
  const ds = script.dataset;
  const API = (ds.api || new URL('.', script.src).href).replace(/\/+$/, '');
  const COLL = ds.collection || '';
  const LOW = 0.5; // below this confidence an answer carries the "not fully sure" note
  const KEY = 'askbot:' + API + ':' + COLL;
  const S = {
    title: 'Questions about this article',
    launcher: 'Ask a question',
    close: 'Close',
    restart: 'Start over',
    greeting: 'Hi! I answer questions about this article. Pick one below or ask your own.',
    label: 'Your question',
    placeholder: 'Type your question…',
    send: 'Send',
    log: 'Conversation',
    you: 'You:',
    bot: 'Assistant:',
    typing: 'Assistant is typing',
    suggested: 'Suggested questions',
    related: 'Related questions',
    pick: 'Choose one',
    tryThese: 'Questions I can answer',
    unsure: 'I’m not fully sure — this is my closest match:',
    helpful: 'Was this helpful?',
    yes: 'Helpful',
    no: 'Not helpful',
    thanks: 'Thanks — your feedback was recorded.',
    fbError: 'Sorry, your feedback could not be sent.',
    offline: 'I can’t reach the answer service right now. Please check your connection and try again.',
    busy: 'Lots of questions right now. Please wait a moment and try again.',
    wait: 'Please wait {s} seconds and try again.',
    error: 'Something went wrong on our side. Please try again.',
    retry: 'Retry',
  };
  try { Object.assign(S, JSON.parse(ds.strings || '{}')); } catch (e) { /* keep defaults */ }

  const CSS = `:host{all:initial!important;display:block!important}
*{box-sizing:border-box}
[hidden]{display:none!important}
.w{--a:var(--askbot-accent,#1d4ed8);--oa:var(--askbot-on-accent,#fff);--bg:var(--askbot-bg,#fff);--m:var(--askbot-muted,#4b5563);--l:var(--askbot-line,#d1d5db);--z:var(--askbot-z,2147483000);font:15px/1.45 var(--askbot-font,system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif);color:var(--askbot-text,#1f2937);text-align:left}
button,input{font:inherit;color:inherit;margin:0}
button{cursor:pointer}
:focus-visible{outline:2px solid var(--askbot-focus,var(--a));outline-offset:2px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
svg{width:20px;height:20px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round;flex:none}
.lau{position:fixed;right:20px;bottom:20px;z-index:var(--z);display:flex;align-items:center;gap:8px;padding:13px 20px;border:0;border-radius:999px;background:var(--a);color:var(--oa);font-weight:600;box-shadow:0 6px 20px rgba(0,0,0,.22)}
.lau:hover{filter:brightness(1.12)}
.p{position:fixed;right:20px;bottom:88px;z-index:var(--z);width:var(--askbot-width,380px);height:min(var(--askbot-height,600px),calc(100vh - 108px));display:flex;flex-direction:column;background:var(--bg);border:1px solid var(--l);border-radius:var(--askbot-radius,14px);box-shadow:0 16px 48px rgba(0,0,0,.2);overflow:hidden}
.in .p{position:static;width:auto;height:var(--askbot-height,560px);box-shadow:none}
.hd{display:flex;align-items:center;gap:2px;padding:10px 8px 10px 18px;background:var(--a);color:var(--oa)}
h2{flex:1;margin:0;font-size:16px;font-weight:600;line-height:1.3}
.ib{display:inline-grid;place-items:center;width:36px;height:36px;padding:0;border:0;border-radius:8px;background:none}
.ib:hover{background:rgba(127,127,127,.18)}
.hd :focus-visible{outline-color:currentColor;outline-offset:-2px}
.b{position:relative;flex:1;overflow-y:auto;overscroll-behavior:contain;padding:16px;display:flex;flex-direction:column;gap:12px}
.log{display:flex;flex-direction:column;gap:10px}
.g{max-width:86%;padding:10px 14px;border-radius:16px;white-space:pre-wrap;overflow-wrap:anywhere}
.g p{margin:0}
.u{align-self:flex-end;background:var(--a);color:var(--oa);border-bottom-right-radius:4px}
.t{max-width:92%}
.t,.ty{align-self:flex-start;background:var(--askbot-bot-bg,#f1f3f6);border-bottom-left-radius:4px}
.n{font-size:13px;color:var(--m);margin-bottom:6px!important}
.n b{display:block;color:var(--askbot-text,#1f2937);font-weight:600}
.fb{display:flex;align-items:center;gap:2px;margin-top:6px;font-size:13px;color:var(--m);white-space:normal}
.fb .ib{width:32px;height:32px}
.fb svg{width:17px;height:17px}
.e{background:#fef2f2;color:#7f1d1d;border:1px solid #fecaca}
.rt{margin-top:8px;padding:5px 16px;border:1px solid currentColor;border-radius:999px;background:#fff;font-weight:600}
.ty{display:flex;gap:5px;padding:14px 16px}
.ty i{width:7px;height:7px;border-radius:50%;background:var(--m);animation:d 1.2s infinite ease-in-out}
.ty i:nth-child(3){animation-delay:.15s}.ty i:nth-child(4){animation-delay:.3s}
@keyframes d{0%,80%,100%{opacity:.3}40%{opacity:1;transform:translateY(-3px)}}
@media (prefers-reduced-motion:reduce){.ty i{animation:none}}
.ch{display:flex;flex-direction:column;align-items:flex-start;gap:6px}
.cl{margin:0;font-size:13px;font-weight:600;color:var(--m)}
.c{max-width:100%;padding:7px 12px;border:1px solid var(--a);border-radius:12px;background:var(--bg);color:var(--a);text-align:left;line-height:1.35}
.c:hover{background:color-mix(in srgb,var(--a) 8%,var(--bg))}
form{display:flex;gap:8px;padding:12px;border-top:1px solid var(--l)}
input{flex:1;min-width:0;padding:9px 12px;border:1px solid #6b7280;border-radius:10px;background:var(--bg);font-size:16px}
.s{width:42px;height:42px;border:0;border-radius:10px;background:var(--a);color:var(--oa)}
.s:disabled{opacity:.45;cursor:default}
@media (max-width:480px){.fl .p{inset:0;width:auto;height:auto;border:0;border-radius:0}.fl.o .lau{display:none}}`;

  // Icons (Feather, MIT): chat, close, send, thumbs up, thumbs down, restart.
  const I = {
    chat: 'M21 11.5a8.4 8.4 0 0 1-.9 3.8 8.5 8.5 0 0 1-7.6 4.7 8.4 8.4 0 0 1-3.8-.9L3 21l1.9-5.7a8.4 8.4 0 0 1-.9-3.8 8.5 8.5 0 0 1 4.7-7.6 8.4 8.4 0 0 1 3.8-.9h.5a8.5 8.5 0 0 1 8 8v.5z',
    x: 'M18 6 6 18M6 6l12 12',
    send: 'M22 2 11 13M22 2l-7 20-4-9-9-4 20-7z',
    up: 'M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.3a2 2 0 0 0 2-1.7l1.4-9a2 2 0 0 0-2-2.3zM7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3',
    down: 'M10 15v4a3 3 0 0 0 3 3l4-9V2H5.7a2 2 0 0 0-2 1.7l-1.4 9a2 2 0 0 0 2 2.3zm7-13h2.7A2.3 2.3 0 0 1 22 4v7a2.3 2.3 0 0 1-2.3 2H17',
    redo: 'M1 4v6h6M3.5 15a9 9 0 1 0 2.1-9.4L1 10',
  };
  const NS = 'http://www.w3.org/2000/svg';
  const icon = (name) => {
    const s = document.createElementNS(NS, 'svg');
    const p = document.createElementNS(NS, 'path');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('aria-hidden', 'true');
    p.setAttribute('d', I[name]);
    s.append(p);
    return s;
  };
  // Element builder: strings become text nodes, attributes go through setAttribute.
  const h = (tag, attrs, ...kids) => {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (typeof v === 'function') el.addEventListener(k, v);
      else if (v != null && v !== false) el.setAttribute(k, v === true ? '' : v);
    }
    el.append(...kids.filter((k) => k != null));
    return el;
  };
  const ibtn = (name, label, click, cls = 'ib') =>
    h('button', { type: 'button', class: cls, 'aria-label': label, title: label, click }, icon(name));

  const init = () => {
    const mount = ds.mount && document.querySelector(ds.mount);
    const inline = !!mount;
    const host = document.createElement('askbot-widget');
    const root = host.attachShadow({ mode: 'open' });
    if (root.adoptedStyleSheets && 'replaceSync' in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else root.append(h('style', {}, CSS));

    const fresh = () => ({ sid: null, items: [], chips: null, open: false });
    let st = fresh();
    try {
      const saved = JSON.parse(sessionStorage.getItem(KEY));
      if (saved && Array.isArray(saved.items)) st = saved;
    } catch (e) { /* storage unavailable: the conversation lasts for this page view */ }
    const save = () => {
      st.items = st.items.slice(-60);
      try { sessionStorage.setItem(KEY, JSON.stringify(st)); } catch (e) { /* see above */ }
    };

    let busy = false;
    let errEl = null;
    let asked = null; // the reader's latest question bubble
    const log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': S.log });
    const typing = h('div', { class: 'g ty', hidden: true }, h('span', { class: 'sr' }, S.typing), h('i'), h('i'), h('i'));
    const chips = h('div', { class: 'ch', role: 'group', 'aria-labelledby': 'askbot-cl' });
    const body = h('div', { class: 'b' }, log, typing, chips);
    const input = h('input', {
      id: 'askbot-q', type: 'text', maxlength: 1000, autocomplete: 'off', placeholder: S.placeholder,
    });
    const send = ibtn('send', S.send, null, 's');
    send.type = 'submit';
    const form = h('form', { submit: (e) => { e.preventDefault(); if (!busy && input.value.trim()) { ask(input.value); input.value = ''; } } },
      h('label', { class: 'sr', for: 'askbot-q' }, S.label), input, send);
    const head = h('div', { class: 'hd' }, h('h2', { id: 'askbot-t' }, S.title), ibtn('redo', S.restart, () => restart()));
    const panel = h('div', { class: 'p', id: 'askbot-p', role: inline ? 'region' : 'dialog', 'aria-labelledby': 'askbot-t' }, head, body, form);
    const wrap = h('div', { class: 'w ' + (inline ? 'in' : 'fl') });
    let launcher = null;
    if (inline) wrap.append(panel);
    else {
      head.append(ibtn('x', S.close, () => toggle(false)));
      launcher = h('button', { type: 'button', class: 'lau', 'aria-expanded': 'false', 'aria-controls': 'askbot-p', click: () => toggle(!st.open) },
        icon('chat'), h('span', {}, S.launcher));
      wrap.append(panel, launcher);
      root.addEventListener('keydown', (e) => {
        if (e.key === 'Escape' && st.open) { e.stopPropagation(); toggle(false); }
      });
    }
    root.append(wrap);
    (mount || document.body).append(host);

    // Show as much as fits from `from` downwards: a long answer is read from its start.
    const scroll = (from) => {
      const end = body.scrollHeight - body.clientHeight;
      body.scrollTop = from ? Math.min(end, from.offsetTop - 12) : end;
    };
    const setBusy = (b) => { busy = b; send.disabled = b; typing.hidden = !b; if (b) scroll(); };
    const clearError = () => { if (errEl) errEl.remove(); errEl = null; };

    async function call(path, payload) {
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), 20000); // a hung request must not freeze the panel
      let res;
      let data = null;
      try {
        res = await fetch(API + path, payload
          ? { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload), signal: ctl.signal }
          : { signal: ctl.signal });
        data = await res.json().catch(() => null);
      } catch (e) {
        throw { kind: 'net' };
      } finally {
        clearTimeout(timer);
      }
      const err = data && data.error;
      if (res.status === 429) throw { kind: 'busy', after: parseInt(res.headers.get('Retry-After'), 10) };
      if (!res.ok || !data) throw { kind: 'http', status: res.status, code: err && err.code, msg: err && err.message };
      return data;
    }

    function fail(e, retry) {
      clearError();
      // A 4xx with the API's JSON error is about the input: say so, retrying would not help.
      // No JSON error body at all means something else answered: the service is not there.
      const client = e.kind === 'http' && e.status < 500 && e.msg;
      const text = e.kind === 'busy' ? (e.after > 0 ? S.wait.replace('{s}', e.after) : S.busy)
        : client ? e.msg : e.kind === 'net' || !e.code ? S.offline : S.error;
      errEl = h('div', { class: 'g e' }, h('p', {}, text),
        client ? null : h('button', { type: 'button', class: 'rt', click: () => { clearError(); input.focus(); retry(); } }, S.retry));
      log.append(errEl);
      scroll();
    }

    function feedback(it) {
      const row = h('div', { class: 'fb' });
      const draw = (note) => {
        row.textContent = '';
        if (it.fb) return row.append(h('span', {}, S.thanks));
        row.append(h('span', {}, note || S.helpful), ibtn('up', S.yes, () => vote(true)), ibtn('down', S.no, () => vote(false)));
      };
      const vote = async (helpful) => {
        row.querySelectorAll('button').forEach((b) => { b.disabled = true; });
        try {
          await call('/v1/feedback', { session_id: it.s, answer_id: it.aid, helpful });
          it.fb = helpful ? 'up' : 'down';
          save();
          draw();
          input.focus(); // the pressed button is gone; keep keyboard users in the panel
        } catch (e) {
          draw(S.fbError);
        }
      };
      draw();
      return row;
    }

    function bubble(it) {
      const mine = it.r === 'u';
      const el = h('div', { class: 'g ' + (mine ? 'u' : 't') }, h('span', { class: 'sr' }, mine ? S.you : S.bot));
      if (it.low) el.append(h('p', { class: 'n' }, S.unsure, ' ', h('b', {}, it.q)));
      el.append(h('p', {}, it.t));
      if (it.aid) el.append(feedback(it));
      return el;
    }

    function add(it) {
      st.items.push(it);
      save();
      log.append(bubble(it));
      scroll();
    }

    function setChips(list, label) {
      st.chips = list && list.length ? { label, list: list.map((x) => ({ id: x.id, question: x.question })) } : null;
      save();
      drawChips();
    }

    function drawChips() {
      chips.textContent = '';
      const c = st.chips;
      chips.hidden = !c;
      if (!c) return;
      chips.append(h('p', { class: 'cl', id: 'askbot-cl' }, S[c.label] || ''),
        ...c.list.slice(0, 8).map((x) => h('button', { type: 'button', class: 'c', click: () => { input.focus(); ask(x.question); } }, x.question)));
    }

    function ask(text) {
      text = text.trim();
      if (busy || !text) return;
      clearError();
      setChips(null);
      add({ r: 'u', t: text });
      asked = log.lastChild;
      chat(text, false);
    }

    async function chat(text, again) {
      setBusy(true);
      try {
        const d = await call('/v1/chat', { message: text, session_id: st.sid || undefined, collection: COLL || undefined });
        st.sid = d.session_id;
        const a = d.answer;
        const msg = d.message || (a && a.text) || '';
        if (d.decision === 'answer' && a) {
          const low = d.confidence < LOW;
          add({ r: 't', t: msg, aid: a.id, s: st.sid, low, q: low ? a.question : undefined });
          setChips(d.suggestions, 'related');
        } else if (d.decision === 'clarify') {
          add({ r: 't', t: msg });
          setChips(d.alternatives, 'pick');
        } else {
          add({ r: 't', t: msg });
          setChips(d.suggestions, 'tryThese');
        }
      } catch (e) {
        // An expired or unknown session: start a new one once, transparently.
        if (!again && st.sid && e.kind === 'http' && (e.status === 404 || /session/i.test(e.code || ''))) {
          st.sid = null;
          return await chat(text, true);
        }
        fail(e, () => chat(text, again));
      } finally {
        setBusy(false);
        scroll(asked);
      }
    }

    async function start() {
      if (!st.items.length) add({ r: 't', t: S.greeting });
      if (!COLL) { st.ready = true; return save(); }
      setBusy(true);
      try {
        const c = await call('/v1/collections/' + encodeURIComponent(COLL));
        st.ready = true;
        if (!st.chips && st.items.length < 2) setChips(c.questions, 'suggested');
      } catch (e) {
        fail(e, start);
      } finally {
        setBusy(false);
      }
    }

    function restart() {
      if (busy) return;
      st = { ...fresh(), open: st.open };
      log.textContent = '';
      clearError();
      drawChips();
      save();
      input.focus();
      start();
    }

    function toggle(open, quiet) {
      st.open = open;
      save();
      panel.hidden = !open;
      wrap.classList.toggle('o', open);
      launcher.setAttribute('aria-expanded', String(open));
      if (!open) return launcher.focus();
      if (!st.ready) start();
      scroll();
      if (!quiet) input.focus();
    }

    st.items.forEach((it) => log.append(bubble(it)));
    drawChips();
    if (inline) { if (!st.ready) start(); }
    else if (st.open) toggle(true, true); // reopen after a reload, without stealing focus
    else panel.hidden = true;
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
