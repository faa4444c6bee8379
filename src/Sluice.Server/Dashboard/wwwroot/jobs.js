// Sluice dashboard: the jobs page (KPIs, throughput chart, upload, filters, list) and the job page.
"use strict";
(() => {
  const { h, api, flash, can, when, num, duration, badge, download, render } = Sluice;
  const filters = { status: "", pipeline: "" };
  let pipelinesCache = null;

  async function pipelines() {
    if (!pipelinesCache) pipelinesCache = (await api("/api/v1/pipelines")).pipelines;
    return pipelinesCache;
  }

  function startOfToday() { const d = new Date(); d.setHours(0, 0, 0, 0); return d.toISOString(); }

  function kpis(stats) {
    const card = (label, value, id) => h("div", { class: "card kpi", id }, h("div", { class: "label" }, label), h("div", { class: "value" }, value));
    return h("section", { class: "kpis", "aria-label": "today" },
      card("Jobs today", num(Object.values(stats.jobs).reduce((a, b) => a + b, 0)), "kpi-jobs"),
      card("Succeeded", num(stats.jobs.succeeded), "kpi-succeeded"),
      card("Failed", num(stats.jobs.failed), "kpi-failed"),
      card("Running / queued", num(stats.jobs.running) + " / " + num(stats.jobs.queued), "kpi-running"),
      card("Rows loaded", num(stats.rows.loaded), "kpi-loaded"),
      card("Rows rejected", num(stats.rows.rejected), "kpi-rejected"),
      card("Median job time", stats.median_job_seconds === null ? "—" : duration(stats.median_job_seconds * 1000), "kpi-median"));
  }

  // Jobs per minute as bars, rows per second as a line on its own scale: hand-drawn SVG, no library.
  function chart(points) {
    const W = 720, H = 150, left = 34, right = 46, top = 10, bottom = 20;
    const maxJobs = Math.max(1, ...points.map(p => p.jobs));
    const maxRate = Math.max(1, ...points.map(p => p.rows_per_second));
    const step = (W - left - right) / Math.max(1, points.length);
    const y = (v, max) => top + (H - top - bottom) * (1 - v / max);
    const svg = h("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "throughput over the last hour" });
    for (const f of [0, 0.5, 1]) {
      svg.append(h("line", { class: "grid", x1: left, x2: W - right, y1: y(maxJobs * f, maxJobs), y2: y(maxJobs * f, maxJobs) }));
      svg.append(h("text", { x: left - 4, y: y(maxJobs * f, maxJobs) + 3, "text-anchor": "end" }, num(Math.round(maxJobs * f))));
      svg.append(h("text", { x: W - right + 4, y: y(maxRate * f, maxRate) + 3 }, num(Math.round(maxRate * f))));
    }
    const bars = h("g", { class: "bars" });
    points.forEach((p, i) => {
      const top_ = y(p.jobs, maxJobs);
      bars.append(h("rect", { x: left + i * step + 1, y: top_, width: Math.max(1, step - 2), height: H - bottom - top_ },
        h("title", {}, `${new Date(p.at).toLocaleTimeString()}: ${p.jobs} job(s), ${num(Math.round(p.rows_per_second))} rows/s`)));
    });
    svg.append(bars);
    svg.append(h("polyline", { class: "rate", points: points.map((p, i) => `${left + i * step + step / 2},${y(p.rows_per_second, maxRate)}`).join(" ") }));
    if (points.length) {
      svg.append(h("text", { x: left, y: H - 5 }, new Date(points[0].at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })));
      svg.append(h("text", { x: W - right, y: H - 5, "text-anchor": "end" }, "now"));
    }
    return h("section", { class: "card chart" },
      h("div", { class: "legend" }, "Last hour — bars: jobs ended per minute (left scale); line: rows loaded per second (right scale)"), svg);
  }

  async function uploadForm() {
    const buckets = [...new Set((await pipelines()).map(p => p.on.bucket))];
    const bucket = h("select", { id: "upload-bucket", "aria-label": "bucket" }, buckets.map(b => h("option", { value: b }, b)));
    const keyInput = h("input", { id: "upload-key", placeholder: "object key, e.g. payments/2026-11-29.csv", size: 36, "aria-label": "object key" });
    const file = h("input", { id: "upload-file", type: "file", "aria-label": "file" });
    file.addEventListener("change", () => { if (!keyInput.value && file.files[0]) keyInput.value = file.files[0].name; });
    const button = h("button", { class: "primary", type: "submit", id: "upload-button" }, "Upload");
    const form = h("form", { class: "inline card", id: "upload-form" }, h("strong", {}, "Upload a file"), bucket, keyInput, file, button);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!file.files[0] || !keyInput.value) { flash("Choose a file and give its object key.", true); return; }
      button.disabled = true;
      try {
        const path = "/api/v1/buckets/" + encodeURIComponent(bucket.value) + "/objects/" + keyInput.value.split("/").map(encodeURIComponent).join("/");
        const result = await api(path, { method: "PUT", body: file.files[0], headers: { "Content-Type": "application/octet-stream" } });
        const job = result.jobs[0];
        flash(job ? (job.created ? "Uploaded: job " + job.id + " started." : "Same content as job " + job.id + ": no new job.") : "Uploaded.");
        keyInput.value = ""; file.value = "";
        document.activeElement.blur();
        render();
      } catch (err) { flash(err.message, true); } finally { button.disabled = false; }
    });
    return form;
  }

  function jobRow(j) {
    const ms = j.started_at && j.finished_at ? new Date(j.finished_at) - new Date(j.started_at) : null;
    return h("tr", { class: "link", "data-job-id": j.id, onclick: () => { location.hash = "#/jobs/" + j.id; } },
      h("td", { class: "mono" }, h("a", { href: "#/jobs/" + j.id }, j.id.slice(0, 13))),
      h("td", {}, j.pipeline),
      h("td", { class: "key" }, j.source.key),
      h("td", { class: "status" }, badge(j.status)),
      h("td", { class: "num" }, j.attempt),
      h("td", { class: "num" }, num(j.counts.read)),
      h("td", { class: "num" }, num(j.counts.loaded)),
      h("td", { class: "num" }, num(j.counts.rejected)),
      h("td", {}, when(j.created_at)),
      h("td", { class: "num" }, duration(ms)));
  }

  async function jobsView() {
    const query = new URLSearchParams({ limit: "50" });
    if (filters.status) query.set("status", filters.status);
    if (filters.pipeline) query.set("pipeline", filters.pipeline);
    const [stats, page, all] = await Promise.all([
      api("/api/v1/stats?minutes=60&since=" + encodeURIComponent(startOfToday())), api("/api/v1/jobs?" + query), pipelines()]);
    const tbody = h("tbody", { id: "jobs-body" }, page.jobs.map(jobRow));
    const more = h("button", { id: "more", hidden: !page.next }, "Older jobs");
    let next = page.next;
    more.addEventListener("click", async () => {
      const older = await api("/api/v1/jobs?" + query + "&cursor=" + encodeURIComponent(next));
      tbody.append(...older.jobs.map(jobRow));
      next = older.next;
      more.hidden = !next;
    });
    const chips = ["", "queued", "running", "succeeded", "failed"].map(s =>
      h("button", { class: "chip" + (filters.status === s ? " active" : ""), "data-filter": s || "all",
        onclick: () => { filters.status = s; render(); } }, s || "all"));
    const pipelineSelect = h("select", { "aria-label": "pipeline", onchange: (e) => { filters.pipeline = e.target.value; e.target.blur(); render(); } },
      h("option", { value: "" }, "every pipeline"), all.map(p => h("option", { value: p.name, selected: p.name === filters.pipeline }, p.name)));
    return h("div", {},
      kpis(stats),
      chart(stats.throughput),
      can("operator") ? h("div", { class: "filters" }, await uploadForm()) : null,
      h("div", { class: "filters" }, h("strong", {}, "Jobs"), chips, pipelineSelect),
      h("table", { id: "jobs" },
        h("thead", {}, h("tr", {}, ["job", "pipeline", "object key", "status", "attempt"].map(t => h("th", {}, t)),
          ["read", "loaded", "rejected"].map(t => h("th", { class: "num" }, t)), h("th", {}, "created"), h("th", { class: "num" }, "took"))),
        tbody),
      page.jobs.length ? null : h("p", { class: "muted" }, "No jobs match."),
      more);
  }

  function timeline(job) {
    const rows = job.stages.filter(s => s.started_at);
    const t0 = Math.min(...rows.map(s => new Date(s.started_at).getTime()));
    const t1 = Math.max(...rows.map(s => new Date(s.finished_at || Date.now()).getTime()), t0 + 1);
    const grid = h("div", { class: "timeline", id: "timeline" });
    let attempt = 0;
    for (const s of rows) {
      if (s.attempt !== attempt) { attempt = s.attempt; grid.append(h("div", { class: "attempt" }, "attempt " + attempt)); }
      const start = new Date(s.started_at).getTime(), end = new Date(s.finished_at || Date.now()).getTime();
      const bar = h("div", { class: "bar " + s.status, title: `${s.name}${s.chunk != null ? " #" + s.chunk : ""} ${s.status}` });
      bar.style.left = ((start - t0) / (t1 - t0) * 100).toFixed(2) + "%";
      bar.style.width = Math.max(0.3, (end - start) / (t1 - t0) * 100).toFixed(2) + "%";
      grid.append(h("div", {}, s.name, s.chunk != null ? ` #${s.chunk}` : "", s.try > 1 ? ` (try ${s.try})` : ""), h("div", { class: "track" }, bar),
        h("div", { class: "num" }, badge(s.status), " ", duration(s.duration_ms)));
      if (s.error) grid.append(h("div", {}), h("div", { class: "error" }, s.error.code + ": " + s.error.message), h("div", {}));
    }
    return grid;
  }

  function replayForm(job) {
    const stages = ["download", "transform", "load", "publish", "notify"];
    const failed = [...job.stages].reverse().find(s => s.attempt === job.attempt && s.status === "failed" && s.name !== "notify");
    const from = h("select", { id: "replay-from", "aria-label": "replay from stage" },
      stages.map(s => h("option", { value: s, selected: s === (failed ? failed.name : "load") }, s)));
    const reason = h("input", { id: "replay-reason", placeholder: "reason (recorded)", size: 30 });
    const ended = job.status === "succeeded" || job.status === "failed";
    const button = h("button", { class: "primary", type: "submit", id: "replay-button", disabled: !ended }, "Replay");
    const form = h("form", { class: "inline", id: "replay-form" }, "Replay from", from, reason, button);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      button.disabled = true;
      try {
        const r = await api("/api/v1/jobs/" + job.id + "/replay", { method: "POST", json: { from: from.value, reason: reason.value || null } });
        flash("Attempt " + r.attempt + " queued from " + r.from + ".");
        document.activeElement.blur();
        render();
      } catch (err) { flash(err.message, true); button.disabled = false; }
    });
    return form;
  }

  async function jobView(id) {
    const [job, logs] = await Promise.all([api("/api/v1/jobs/" + encodeURIComponent(id)), api("/api/v1/jobs/" + encodeURIComponent(id) + "/logs")]);
    const c = job.counts;
    const rejects = h("button", { id: "rejects-button", onclick: () => download("/api/v1/jobs/" + job.id + "/rejects", job.id + "-rejects.csv").catch(e => flash(e.message, true)) },
      "Download rejects");
    return h("div", {},
      h("p", {}, h("a", { href: "#/jobs" }, "← jobs")),
      h("h1", {}, "Job ", h("span", { class: "mono" }, job.id), " ", h("span", { id: "job-status" }, badge(job.status))),
      h("div", { class: "row" },
        h("section", { class: "card grow" }, h("dl", { class: "facts" },
          h("dt", {}, "pipeline"), h("dd", {}, job.pipeline + " (" + job.workflow + ")"),
          h("dt", {}, "source"), h("dd", { id: "job-source" }, job.source.bucket + "/" + job.source.key),
          h("dt", {}, "size"), h("dd", {}, num(job.source.size) + " bytes"),
          h("dt", {}, "sha256"), h("dd", { class: "mono" }, job.source.sha256),
          h("dt", {}, "attempt"), h("dd", { id: "job-attempt" }, job.attempt),
          h("dt", {}, "created"), h("dd", {}, when(job.created_at)),
          h("dt", {}, "finished"), h("dd", {}, when(job.finished_at)),
          job.workspace_pruned_at ? h("dt", {}, "workspace") : null,
          job.workspace_pruned_at ? h("dd", { id: "job-pruned" }, "pruned " + when(job.workspace_pruned_at) + " (replays start from download)") : null)),
        h("section", { class: "card grow", id: "counts" }, h("dl", { class: "facts" },
          h("dt", {}, "rows read"), h("dd", {}, num(c.read)),
          h("dt", {}, "loaded"), h("dd", {}, num(c.loaded)),
          h("dt", {}, "rejected"), h("dd", {}, num(c.rejected)),
          h("dt", {}, "filtered"), h("dd", {}, num(c.filtered)),
          h("dt", {}, "reconciled"), h("dd", { class: "reconciled " + (c.reconciled ? "ok" : "error") },
            c.reconciled ? "yes: read = loaded + rejected + filtered" : (c.read === null ? "not yet" : "no")),
          h("dt", {}, "rejects"), h("dd", {}, rejects)))),
      job.error ? h("p", { class: "error card", id: "job-error" }, job.error.code + ": " + job.error.message) : null,
      can("operator") ? h("section", { class: "card" }, replayForm(job)) : null,
      h("h2", {}, "Stages"), h("section", { class: "card" }, timeline(job)),
      h("h2", {}, "Attempts"),
      h("table", { id: "attempts" }, h("thead", {}, h("tr", {}, ["attempt", "from stage", "reason", "requested by", "at"].map(t => h("th", {}, t)))),
        h("tbody", {}, job.attempts.map(a => h("tr", { "data-attempt": a.attempt },
          h("td", {}, a.attempt), h("td", {}, a.from_stage), h("td", {}, a.reason || "—"), h("td", {}, a.requested_by), h("td", {}, when(a.created_at)))))),
      h("h2", {}, "Log"),
      h("pre", { class: "logs", id: "logs" }, logs.lines.map(l =>
        `${new Date(l.at).toLocaleTimeString()} ${l.level.padEnd(5)} ${l.stage ? "[" + l.stage + "] " : ""}${l.message}\n`).join("") || "no log lines"));
  }

  Sluice.state.views.jobs = (arg) => arg ? jobView(arg) : jobsView();
})();
