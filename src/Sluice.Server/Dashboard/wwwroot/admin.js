// Sluice dashboard: the pipelines page (catalog, details, validation) and the admin page (keys, retention, audit log).
"use strict";
(() => {
  const { h, api, flash, when, render } = Sluice;

  function pipelineDetails(p) {
    const facts = [
      ["takes", `bucket ${p.on.bucket}, keys matching ${p.on.match}`],
      ["workflow", p.workflow],
      ["source", `${p.source.format}, header ${p.source.header ? "yes" : "no"}, delimiter ${JSON.stringify(p.source.delimiter)}`],
      ["target", p.target ? `${p.target.table} (${p.target.mode}${p.target.key.length ? ", key " + p.target.key.join(", ") : ""})` + (p.target.database ? " on " + p.target.database : "") : "—"],
      ["output", p.output.bucket],
      ["retry", `${p.retry.max_attempts} attempts, backoff ${p.retry.backoff_ms} ms`],
      ["rejects allowed", p.rejects.max_rows === 0 && p.rejects.max_ratio === null ? "none" : `rows ${p.rejects.max_rows ?? "any"}, ratio ${p.rejects.max_ratio ?? "any"}`],
      ["notify", p.notify.length ? p.notify.map(n => n.webhook + " (" + n.events.join(", ") + ")").join("; ") : "—"],
      ["file", p.file],
    ];
    return h("div", {},
      h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      p.schema ? h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "column"), h("th", {}, "type"), h("th", {}, "nullable"))),
        h("tbody", {}, p.schema.map(c => h("tr", {}, h("td", { class: "mono" }, c.name), h("td", { class: "mono" }, c.type), h("td", {}, c.nullable ? "yes" : "no")))))
        : h("p", { class: "muted" }, "Schema inferred from a sample of each file."));
  }

  async function pipelinesView() {
    const { pipelines } = await api("/api/v1/pipelines");
    const detail = h("section", { class: "card", id: "pipeline-detail" }, h("p", { class: "muted" }, "Choose a pipeline to see its definition."));
    const yaml = h("textarea", { id: "validate-yaml", spellcheck: "false", placeholder: "name: payments\non: { bucket: inbox, match: \"payments/*.csv\" }\n…" });
    const result = h("div", { id: "validate-result" });
    const form = h("form", {}, yaml, h("p", {}, h("button", { class: "primary", type: "submit" }, "Validate")), result);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const r = await api("/api/v1/pipelines/validate", { method: "POST", body: yaml.value, headers: { "Content-Type": "application/yaml" } });
        result.replaceChildren(r.valid
          ? h("div", {}, h("p", { class: "ok" }, "Valid: pipeline " + r.pipeline.name + " (not saved)."), pipelineDetails(r.pipeline))
          : h("ul", { class: "error" }, r.errors.map(x => h("li", {}, (x.line ? `line ${x.line}:${x.column} ` : "") + (x.key ? x.key + ": " : "") + x.message))));
      } catch (err) { result.replaceChildren(h("p", { class: "error" }, err.message)); }
    });
    return h("div", {},
      h("h1", {}, "Pipelines"),
      h("table", { id: "pipelines" },
        h("thead", {}, h("tr", {}, ["name", "bucket", "match", "workflow", "target"].map(t => h("th", {}, t)))),
        h("tbody", {}, pipelines.map(p => h("tr", { class: "link", onclick: () => detail.replaceChildren(h("h2", {}, p.name), pipelineDetails(p)) },
          h("td", {}, p.name), h("td", {}, p.on.bucket), h("td", { class: "mono" }, p.on.match), h("td", {}, p.workflow), h("td", {}, p.target ? p.target.table : "—"))))),
      pipelines.length ? null : h("p", { class: "muted" }, "No pipelines: put pipeline YAML files in SLUICE_PIPELINES and restart serve."),
      h("h2", {}, "Definition"), detail,
      h("h2", {}, "Validate a definition (nothing is saved)"), h("section", { class: "card" }, form));
  }

  async function adminView() {
    const [{ keys }, { entries }] = await Promise.all([api("/api/v1/keys"), api("/api/v1/audit?limit=100")]);
    const name = h("input", { id: "key-name", placeholder: "name, e.g. ci-uploader", "aria-label": "key name" });
    const role = h("select", { id: "key-role", "aria-label": "role" }, ["viewer", "operator", "admin"].map(r => h("option", { value: r }, r)));
    const shown = h("div", { id: "key-created" });
    const form = h("form", { class: "inline" }, "New key", name, role, h("button", { class: "primary", type: "submit" }, "Create"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const k = await api("/api/v1/keys", { method: "POST", json: { name: name.value, role: role.value } });
        document.activeElement.blur();
        await render();
        document.getElementById("key-created").replaceChildren(h("p", { class: "card" }, "Key for ", h("strong", {}, k.name), " (" + k.role + "), shown only now: ",
          h("code", { id: "new-key" }, k.key)));
      } catch (err) { flash(err.message, true); }
    });
    return h("div", {},
      h("h1", {}, "API keys"),
      h("section", { class: "card" }, form, shown),
      h("h1", {}, "Retention"), retentionCard(),
      h("table", { id: "keys" },
        h("thead", {}, h("tr", {}, ["name", "role", "created", "by", "last used", ""].map(t => h("th", {}, t)))),
        h("tbody", {}, keys.map(k => h("tr", {},
          h("td", {}, k.name), h("td", {}, k.role), h("td", {}, when(k.created_at)), h("td", {}, k.created_by), h("td", {}, when(k.last_used_at)),
          h("td", {}, h("button", { onclick: async () => {
            if (!confirm("Revoke key " + k.name + "? It stops working at once.")) return;
            try { await api("/api/v1/keys/" + encodeURIComponent(k.name), { method: "DELETE" }); flash("Revoked " + k.name + "."); render(); }
            catch (err) { flash(err.message, true); }
          } }, "Revoke")))))),
      h("h1", {}, "Audit log"),
      h("table", { id: "audit" },
        h("thead", {}, h("tr", {}, ["at", "who", "role", "what", "target", "from", "status"].map(t => h("th", {}, t)))),
        h("tbody", {}, entries.map(a => h("tr", {},
          h("td", {}, when(a.at)), h("td", {}, a.actor), h("td", {}, a.role || "—"), h("td", { class: "mono" }, a.action),
          h("td", {}, a.target || "—"), h("td", {}, a.source), h("td", {}, a.status ?? "—"))))));
  }

  // The two prunes (POST /api/v1/workspace/prune, /history/prune): a preview (dry run) first, then the removal once
  // confirmed; what was removed is said in the page, and the audit log below shows it.
  function retentionCard() {
    const said = h("p", { id: "retention-result", class: "muted" }, "Preview first: nothing is removed until you confirm.");
    const size = n => n < 1048576 ? (n / 1024).toFixed(1) + " KiB" : (n / 1048576).toFixed(1) + " MiB";
    const prune = async (path, body, describe, what) => {
      try {
        const preview = await api(path, { method: "POST", json: Object.assign({}, body, { dry_run: true }) });
        said.textContent = "Would remove " + describe(preview) + ".";
        if (!confirm("Remove " + describe(preview) + "? " + what)) return;
        const done = await api(path, { method: "POST", json: body });
        await render(); // the audit log shows the removal
        const stuck = done.failed && done.failed.length;
        flash("Removed " + describe(done) + "." + (stuck ? " " + stuck + " folder(s) could not be removed, such as job " + done.failed[0].job_id + "'s: " + done.failed[0].reason : ""), stuck);
      } catch (err) { flash(err.message, true); }
    };
    const workspaceAge = h("input", { id: "workspace-older-than", value: "7d", size: 5, "aria-label": "workspaces older than" });
    const failed = h("input", { id: "workspace-failed", type: "checkbox", "aria-label": "failed jobs too" });
    const workspaces = h("form", { class: "inline", id: "workspace-prune" }, "Workspaces of jobs that ended more than", workspaceAge, "ago",
      h("label", {}, failed, " failed jobs too"), h("button", { type: "submit" }, "Preview and remove"));
    workspaces.addEventListener("submit", (e) => {
      e.preventDefault();
      prune("/api/v1/workspace/prune", { older_than: workspaceAge.value, failed: failed.checked },
        r => "the workspaces of " + r.jobs + " job(s) (" + r.files + " files, " + size(r.bytes) + ")",
        "Those jobs then replay only from download; what publish put in the output bucket stays.");
    });
    const historyAge = h("input", { id: "history-older-than", value: "90d", size: 5, "aria-label": "history older than" });
    const history = h("form", { class: "inline", id: "history-prune" }, "Events and log lines older than", historyAge,
      h("button", { type: "submit" }, "Preview and remove"));
    history.addEventListener("submit", (e) => {
      e.preventDefault();
      prune("/api/v1/history/prune", { older_than: historyAge.value },
        r => r.events + " event(s) and " + r.log_lines + " log line(s)", "Jobs, their stages and the audit log stay.");
    });
    return h("section", { class: "card" }, workspaces, history, said);
  }

  Sluice.state.views.pipelines = pipelinesView;
  Sluice.state.views.admin = adminView;
})();
