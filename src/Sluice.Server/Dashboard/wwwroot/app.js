// Sluice dashboard: core (sign-in, API calls, live events, routing, DOM helpers).
// Every value from the server is put on the page as text (textContent / text nodes), never parsed as HTML:
// file names, keys, headers and messages may contain markup.
"use strict";
const Sluice = (() => {
  const KEY = "sluice.key";
  const state = { me: null, views: {}, lastEventId: null, liveAbort: null, refreshTimer: null, current: null };

  function key() { return sessionStorage.getItem(KEY); }

  // h("tr", {class: "x", onclick: f}, "text", child, ...): elements built from parts; strings become text nodes.
  function h(tag, attrs, ...children) {
    const svg = ["svg", "rect", "polyline", "line", "text", "g", "title"].includes(tag);
    const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
      else if (name === "text") el.textContent = String(value);
      else el.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  class ApiError extends Error {
    constructor(status, code, message) { super(message); this.status = status; this.code = code; }
  }

  async function api(path, options = {}) {
    const headers = Object.assign({}, options.headers || {});
    if (key()) headers["Authorization"] = "Bearer " + key();
    if (options.json !== undefined) { headers["Content-Type"] = "application/json"; options.body = JSON.stringify(options.json); }
    const response = await fetch(path, { method: options.method || "GET", headers, body: options.body });
    if (response.status === 401) { signOut("Your key was not accepted (unknown or revoked). Sign in again."); throw new ApiError(401, "auth", "signed out"); }
    if (!response.ok) {
      let code = "http." + response.status, message = response.statusText;
      try { const body = await response.json(); code = body.error.code; message = body.error.message; } catch { /* not JSON */ }
      throw new ApiError(response.status, code, message);
    }
    if (options.raw) return response;
    return response.status === 204 ? null : response.json();
  }

  function flash(message, bad) {
    const el = document.getElementById("flash");
    el.textContent = message;
    el.className = bad ? "flash bad" : "flash";
    el.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(() => { el.hidden = true; }, 8000);
  }

  function can(role) {
    const order = ["viewer", "operator", "admin"];
    return state.me && order.indexOf(state.me.role) >= order.indexOf(role);
  }

  // ---- sign-in ----
  function takeKeyFromFragment() {
    // #key=... signs in directly; a fragment never reaches the server or its logs. Remove it from the address bar at once.
    const m = location.hash.match(/^#key=([^&]*)/);
    if (!m) return;
    sessionStorage.setItem(KEY, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search + "#/jobs");
  }

  function showSignIn(message) {
    document.getElementById("signin").hidden = false;
    document.getElementById("nav").hidden = true;
    document.getElementById("signout").hidden = true;
    document.getElementById("view").replaceChildren();
    document.getElementById("whoami").textContent = "";
    document.getElementById("signin-error").textContent = message || "";
    document.getElementById("signin-key").focus();
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY);
    state.me = null;
    stopLive();
    showSignIn(message);
  }

  async function start() {
    takeKeyFromFragment();
    try {
      const response = await fetch("/api/v1/me", { headers: key() ? { Authorization: "Bearer " + key() } : {} });
      if (response.status === 401) { showSignIn(key() ? "That key was not accepted (unknown or revoked)." : ""); if (key()) sessionStorage.removeItem(KEY); return; }
      state.me = await response.json();
    } catch (e) { showSignIn("The server cannot be reached: " + e.message); return; }
    document.getElementById("signin").hidden = true;
    document.getElementById("nav").hidden = false;
    document.getElementById("signout").hidden = !key();
    document.getElementById("nav-admin").hidden = !can("admin");
    document.getElementById("whoami").textContent = state.me.name + " · " + state.me.role + (state.me.open ? " (no keys configured: open on this machine)" : "");
    startLive();
    route();
  }

  // ---- routing: #/jobs, #/jobs/<id>, #/pipelines, #/admin ----
  function route() {
    if (!state.me) return;
    const path = (location.hash || "#/jobs").slice(1);
    const [, name, arg] = path.match(/^\/([a-z]+)(?:\/(.+))?/) || [null, "jobs", null];
    const view = state.views[name] ? name : "jobs";
    for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.view === view);
    state.current = { view, arg: arg ? decodeURIComponent(arg) : null };
    render();
  }

  async function render() {
    const { view, arg } = state.current;
    const root = document.getElementById("view");
    try {
      const content = await state.views[view](arg);
      if (state.current.view === view && state.current.arg === arg) root.replaceChildren(content);
    } catch (e) {
      if (e.status === 401) return;
      root.replaceChildren(h("p", { class: "error" }, e.message));
    }
  }

  // Re-render the current view soon; many events in a burst cause one refresh.
  function refreshSoon() {
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(() => {
      // Never re-render under someone typing or choosing: it would throw their input away.
      const active = document.activeElement;
      const editing = active && ["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName) && document.getElementById("view").contains(active);
      if (state.current && !editing) render(); else if (editing) refreshSoon();
    }, 300);
  }

  // ---- live events: fetch streaming (EventSource cannot send the Authorization header) ----
  function setLive(on) {
    const el = document.getElementById("live");
    el.textContent = on ? "live" : "offline";
    el.className = on ? "live on" : "live off";
  }

  function stopLive() {
    if (state.liveAbort) state.liveAbort.abort();
    state.liveAbort = null;
    setLive(false);
  }

  async function startLive() {
    stopLive();
    const abort = new AbortController();
    state.liveAbort = abort;
    let delay = 1000;
    while (!abort.signal.aborted) {
      try {
        const headers = { Accept: "text/event-stream" };
        if (key()) headers["Authorization"] = "Bearer " + key();
        if (state.lastEventId) headers["Last-Event-ID"] = state.lastEventId;
        const response = await fetch("/api/v1/events", { headers, signal: abort.signal });
        if (response.status === 401) { signOut("Your key was revoked."); return; }
        // The id to resume after is not this database's (reset or restored): follow from the newest event instead.
        if (response.status === 400) { state.lastEventId = null; refreshSoon(); throw new Error("events: resume id refused"); }
        if (!response.ok) throw new Error("events: " + response.status);
        setLive(true);
        delay = 1000;
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            for (const line of block.split("\n")) if (line.startsWith("id: ")) state.lastEventId = line.slice(4);
            if (block.includes("\ndata: ") || block.startsWith("data: ")) refreshSoon();
          }
        }
      } catch (e) {
        if (abort.signal.aborted) return;
      }
      setLive(false);
      await new Promise(r => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15000);
    }
  }

  // ---- formatting ----
  function when(iso) { return iso ? new Date(iso).toLocaleString() : "—"; }
  function num(n) { return n === null || n === undefined ? "—" : Number(n).toLocaleString(); }
  function duration(ms) {
    if (ms === null || ms === undefined) return "—";
    if (ms < 1000) return Math.round(ms) + " ms";
    const s = ms / 1000;
    if (s < 60) return s.toFixed(s < 10 ? 2 : 1) + " s";
    return Math.floor(s / 60) + " min " + Math.round(s % 60) + " s";
  }
  function badge(status) { return h("span", { class: "badge " + status, "data-status": status }, status); }

  // Downloads through fetch so the key travels in a header, never in a URL.
  async function download(path, fileName) {
    const response = await api(path, { raw: true });
    const url = URL.createObjectURL(await response.blob());
    const a = h("a", { href: url, download: fileName });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("signin-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const value = document.getElementById("signin-key").value.trim();
      if (!value) return;
      sessionStorage.setItem(KEY, value);
      document.getElementById("signin-key").value = "";
      start();
    });
    document.getElementById("signout").addEventListener("click", () => signOut(""));
    window.addEventListener("hashchange", () => { if (/^#key=/.test(location.hash)) start(); else route(); });
    // Scripts load deferred in order; views register before this runs.
    start();
  });

  return { h, api, flash, can, state, when, num, duration, badge, download, render, ApiError };
})();
