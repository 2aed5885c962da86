// The operator security console. Everything is built with DOM methods and
// textContent (no HTML from data), fetched from api/ on this origin, and
// refreshed every few seconds while the tab is visible.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  // typed maps an account hash to the email the operator typed for it in
  // this page: the only way an email is shown.
  const state = { refresh: 5000, window: "hour", typedEmail: "", typed: new Map(), cursor: "", plots: {}, timer: 0, busy: false };

  async function api(path, opts) {
    const res = await fetch("api/" + path, Object.assign({ credentials: "same-origin", cache: "no-store" }, opts || {}));
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) {
      const err = new Error((body && body.message) || ("HTTP " + res.status));
      err.status = res.status;
      throw err;
    }
    return body;
  }

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function row(cells) {
    const tr = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement("td");
      if (c instanceof Node) td.appendChild(c); else td.textContent = c === undefined || c === null ? "" : String(c);
      tr.appendChild(td);
    }
    return tr;
  }
  function fill(tbody, rows, empty, cols) {
    tbody.replaceChildren(...rows);
    if (rows.length === 0) {
      const td = el("td", empty, "empty");
      td.colSpan = cols;
      const tr = document.createElement("tr");
      tr.appendChild(td);
      tbody.appendChild(tr);
    }
  }
  const when = (t) => (t ? new Date(t).toLocaleString() : "");
  const short = (k) => (k && k.length > 12 ? k.slice(0, 12) + "…" : k || "");
  function account(k) {
    if (!k) return "";
    if (state.typed.has(k)) return state.typed.get(k);
    const s = el("span", short(k), "hash");
    s.title = k;
    return s;
  }

  // Now: lockouts.
  async function loadLockouts() {
    const q = state.typedEmail ? "?email=" + encodeURIComponent(state.typedEmail) : "";
    const tbody = $("lockouts").tBodies[0];
    try {
      const d = await api("lockouts" + q);
      if (d.typed_key && state.typedEmail) state.typed.set(d.typed_key, state.typedEmail);
      fill(tbody, d.lockouts.map((l) => {
        const b = el("button", "Unlock", "unlock");
        b.type = "button";
        b.dataset.key = l.key;
        b.addEventListener("click", () => unlock(l.key));
        const devBad = l.devices_locked > 0 || l.devices_distrusted > 0;
        const st = l.hard_locked ? "hard lock" : l.locked ? "locked" : l.failures > 0 || !devBad ? "failing"
          : l.devices_locked > 0 ? "device locked" : "device distrusted";
        const tr = row([account(l.key), el("span", st, "pill " + (l.locked || devBad ? "bad" : "warn")), l.failures,
          el("span", devices(l), devBad ? "devices bad" : "devices"), when(l.locked_until), when(l.last_failure), b]);
        tr.dataset.key = l.key;
        return tr;
      }), state.typedEmail ? "No failures or lock for that account." : "No account has failures or a lock.", 7);
    } catch (e) {
      fill(tbody, [], e.message, 7);
    }
  }
  // devices is an account's device-cookie state in words, e.g.
  // "2 devices, 1 locked".
  function devices(l) {
    const n = l.devices || 0;
    if (n === 0) return "none";
    let s = n + (n === 1 ? " device" : " devices");
    if (l.devices_locked) s += ", " + l.devices_locked + " locked";
    if (l.devices_distrusted) s += ", " + l.devices_distrusted + " distrusted";
    return s;
  }

  async function unlock(key) {
    const who = state.typed.get(key) || key;
    if (!window.confirm("Unlock account " + who + "?\nThis clears its failures and lock and is recorded as an admin action.")) return;
    try {
      const d = await api("unlock", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ key: key, confirm: key }),
      });
      $("lock-msg").textContent = d.unlocked ? "Unlocked " + short(key) + "." : "That account had nothing to clear.";
    } catch (e) {
      $("lock-msg").textContent = "Unlock failed: " + e.message;
    }
    refresh();
  }

  // Charts.
  const palette = ["#d9480f", "#1971c2", "#2f9e44", "#ae3ec9", "#f08c00", "#0c8599", "#e03131", "#5f3dc4"];
  function drawChart(id, times, lines) {
    const host = $(id);
    const width = Math.max(240, host.clientWidth || 300);
    const data = [times].concat(lines.map((l) => l.counts));
    const series = [{}].concat(lines.map((l, i) => ({ label: l.name, stroke: palette[i % palette.length], width: 2, points: { show: false } })));
    if (lines.length === 0) {
      data.push(times.map(() => 0));
      series.push({ label: "none", stroke: "#adb5bd", width: 1 });
    }
    const key = id + ":" + series.map((s) => s.label).join(",");
    const old = state.plots[id];
    if (old && old.key === key) {
      old.plot.setData(data);
      if (Math.abs(old.plot.width - width) > 4) old.plot.setSize({ width: width, height: 180 });
      return;
    }
    if (old) old.plot.destroy();
    const opts = { width: width, height: 180, series: series, scales: { y: { range: (u, min, max) => [0, Math.max(1, max)] } }, axes: [{}, { size: 40 }], legend: { live: false } };
    state.plots[id] = { key: key, plot: new uPlot(opts, data, host) };
  }

  async function loadSeries() {
    try {
      const d = await api("series?window=" + state.window);
      for (const chart of ["signin", "ratelimit", "refusals", "csp"]) {
        drawChart("chart-" + chart, d.times, d.series.filter((s) => s.chart === chart));
      }
      const total = d.series.reduce((n, s) => n + s.counts.reduce((a, b) => a + b, 0), 0);
      $("charts").dataset.total = String(total);
      $("charts-note").textContent = (d.truncated ? "Only the newest " + d.scanned + " events were counted. " : "") + total + " events in this window, " + Math.round(d.step_seconds / 60) + "-minute buckets.";
    } catch (e) {
      $("charts-note").textContent = e.message;
    }
  }

  // Events.
  function filterQuery() {
    const p = new URLSearchParams();
    const v = (id) => $(id).value.trim();
    if (v("f-type")) p.set("type", v("f-type"));
    if (v("f-outcome")) p.set("outcome", v("f-outcome"));
    if (v("f-account")) p.set("account", v("f-account"));
    if (v("f-ip")) p.set("ip", v("f-ip"));
    if (v("f-since")) p.set("since", v("f-since"));
    if (v("f-until")) {
      const u = new Date(v("f-until"));
      if (!isNaN(u)) p.set("until", u.toISOString());
    }
    return p;
  }
  function eventRow(e) {
    const tr = row([when(e.time), e.action, e.outcome, account(e.account) || e.user_id || account(e.target), e.ip, e.path, e.reason]);
    tr.className = "clickable " + (e.outcome === "failure" ? "fail" : "");
    tr.dataset.action = e.action;
    tr.addEventListener("click", () => showEvent(e));
    return tr;
  }
  async function loadEvents(more) {
    const p = filterQuery();
    if (more && state.cursor) p.set("after", state.cursor);
    const tbody = $("event-list").tBodies[0];
    try {
      const d = await api("events?" + p.toString());
      if (d.typed_key) state.typed.set(d.typed_key, $("f-account").value.trim().toLowerCase());
      const rows = d.events.map(eventRow);
      if (more) rows.forEach((r) => tbody.appendChild(r)); else fill(tbody, rows, "No events match.", 7);
      state.cursor = d.next || "";
      $("more").hidden = !state.cursor;
      $("events-msg").textContent = "";
      $("event-list").dataset.count = String(tbody.querySelectorAll("tr.clickable").length);
    } catch (e) {
      $("events-msg").textContent = e.message;
    }
  }
  async function showEvent(e) {
    const d = await api("event?id=" + encodeURIComponent(e.id) + "&at=" + encodeURIComponent(e.time));
    const keys = Object.keys(d.ecs).sort();
    fill($("ecs").tBodies[0], keys.map((k) => row([k, Array.isArray(d.ecs[k]) ? d.ecs[k].join(", ") : d.ecs[k]])), "", 2);
    const mini = (list) => list.map((n) => row([when(n.time), n.action, n.outcome, n.ip, n.path]));
    fill($("by-ip").tBodies[0], mini(d.by_ip), "Nothing else from this IP.", 5);
    fill($("by-account").tBodies[0], mini(d.by_account), "Nothing else for this account.", 5);
    $("detail").hidden = false;
    $("detail").scrollIntoView({ block: "nearest" });
  }

  // CSP reports.
  async function loadCSP() {
    try {
      const d = await api("csp?window=" + state.window);
      fill($("csp-groups").tBodies[0], d.groups.map((g) => row([g.directive, g.blocked_uri, g.count, when(g.last), g.document])), "No CSP reports in this window.", 5);
    } catch (e) {
      fill($("csp-groups").tBodies[0], [], e.message, 5);
    }
  }

  // Health.
  async function loadHealth() {
    try {
      const d = await api("health");
      fill($("findings").tBodies[0], d.findings.map((f) => row([f.area, f.name, el("span", f.status, "pill " + f.status), f.detail])), "", 4);
      fill($("certs").tBodies[0], d.certificates.map((c) => row([c.subjects.join(", "), c.issuer, when(c.not_after), when(c.renew_at)])), "No certificate for this host.", 4);
    } catch (e) {
      fill($("findings").tBodies[0], [], e.message, 4);
    }
  }
  async function loadVerify() {
    $("verify").textContent = "verifying…";
    try {
      const d = await api("verify");
      let t = d.verify ? (d.verify.ok ? "Chain intact: " + d.verify.records + " records, " + d.verify.checkpoints + " checkpoints." : "Chain BROKEN: " + (d.verify.problem || "")) : "Not verified: " + d.verify_error + ".";
      t += d.last_checkpoint ? " Newest signed checkpoint " + when(d.last_checkpoint) + "." : " No signed checkpoint yet.";
      $("verify").textContent = t;
      $("verify").className = d.verify && d.verify.ok ? "ok" : "bad";
    } catch (e) {
      $("verify").textContent = e.message;
    }
  }

  async function runDoctor() {
    $("doctor-msg").textContent = "running…";
    try {
      const d = await api("doctor");
      fill($("doctor").tBodies[0], d.findings.map((f) => row([f.name, el("span", f.status, "pill " + f.status), f.detail])), "No findings.", 3);
      $("doctor-msg").textContent = "ran " + when(d.ran_at);
    } catch (e) {
      $("doctor-msg").textContent = e.message;
    }
  }

  async function refresh() {
    if (state.busy) return;
    state.busy = true;
    try {
      const tasks = [loadLockouts(), loadSeries(), loadCSP(), loadHealth()];
      if (!state.cursor || $("more").hidden) tasks.push(loadEvents(false));
      await Promise.all(tasks);
      $("updated").textContent = "updated " + new Date().toLocaleTimeString();
      document.documentElement.dataset.loaded = "1";
    } finally {
      state.busy = false;
    }
  }
  function schedule() {
    clearInterval(state.timer);
    if ($("live").checked) state.timer = setInterval(() => { if (!document.hidden) refresh(); }, state.refresh);
  }

  async function start() {
    let who;
    try {
      who = await api("whoami");
    } catch (e) {
      document.body.replaceChildren(el("p", e.message, "msg"));
      return;
    }
    state.refresh = who.refresh_ms || 5000;
    $("who").textContent = who.local ? "local operator" : "admin " + short(who.operator);
    for (const a of who.actions) $("f-type").appendChild(el("option", a));
    $("lock-find").addEventListener("submit", (ev) => {
      ev.preventDefault();
      state.typedEmail = $("lock-email").value.trim().toLowerCase();
      loadLockouts();
    });
    $("lock-clear").addEventListener("click", () => { state.typedEmail = ""; $("lock-email").value = ""; loadLockouts(); });
    $("filters").addEventListener("submit", (ev) => { ev.preventDefault(); state.cursor = ""; loadEvents(false); });
    $("more").addEventListener("click", () => loadEvents(true));
    $("detail-close").addEventListener("click", () => { $("detail").hidden = true; });
    $("window").addEventListener("change", () => { state.window = $("window").value; loadSeries(); loadCSP(); });
    $("verify-run").addEventListener("click", loadVerify);
    $("doctor-run").addEventListener("click", runDoctor);
    $("live").addEventListener("change", schedule);
    window.addEventListener("resize", () => loadSeries());
    await refresh();
    loadVerify();
    schedule();
  }
  document.addEventListener("DOMContentLoaded", start);
})();
