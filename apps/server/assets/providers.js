// The provider cards (Connect and Settings pages): each person's own developer app for each
// provider, its status, and the buttons to connect, disconnect and change the app.
import { api, banner, busy, el, explain, texts, toLogin } from "./soiree.js";

const BADGE = { connected: "ok", needs_reconnect: "warn", configured: "warn", not_configured: "warn" };

function status(connection) {
  switch (connection.status) {
    case "connected": return `${texts.status_connected} ${connection.account_name || ""}`.trim();
    case "needs_reconnect": return `${texts.status_needs_reconnect}${connection.reason ? ` (${connection.reason})` : ""}`;
    default: return texts[`status_${connection.status}`] || connection.status;
  }
}

function card(connection, reload) {
  const id = connection.provider;
  const header = el("h2", {}, connection.name, " ",
    el("span", { class: `badge ${BADGE[connection.status] || ""}`, id: `${id}-status` }, status(connection)));
  if (connection.status === "not_available") {
    return el("section", { class: "card", "data-provider": id }, header);
  }
  const error = el("p", { class: "field-error", hidden: true, role: "alert" });
  const fail = (problem) => { error.textContent = explain(problem); error.hidden = false; if (problem.status === 401) toLogin(); };
  const actions = el("div", { class: "actions" });
  if (connection.status !== "not_configured") {
    const connect = el("button", { type: "button", id: `${id}-connect` },
      connection.status === "connected" ? `${texts.connect} ↻` : texts.connect);
    connect.addEventListener("click", () => busy(connect, async () => {
      try {
        const { auth_url } = await api("GET", `/api/v1/connections/${id}/authorize`);
        window.location.assign(auth_url);
      } catch (problem) { fail(problem); }
    }));
    actions.append(connect);
  }
  if (connection.status === "connected" || connection.status === "needs_reconnect") {
    const disconnect = el("button", { type: "button", class: "secondary", id: `${id}-disconnect` }, texts.disconnect);
    disconnect.addEventListener("click", () => busy(disconnect, async () => {
      try { await api("DELETE", `/api/v1/connections/${id}`); await reload(); } catch (problem) { fail(problem); }
    }));
    actions.append(disconnect);
  }

  const clientId = el("input", { id: `${id}-client-id`, value: connection.client_id || "", autocomplete: "off", spellcheck: "false" });
  const secret = el("input", {
    id: `${id}-client-secret`, type: "password", autocomplete: "off",
    placeholder: connection.client_secret_last4 ? `${texts.secret_kept} …${connection.client_secret_last4}` : "",
  });
  const save = el("button", { type: "submit", class: "small" }, texts.save_app);
  const form = el("form", { novalidate: true },
    el("label", { for: clientId.id }, texts.client_id), clientId,
    el("label", { for: secret.id }, texts.client_secret), secret,
    connection.redirect_uri ? el("p", { class: "hint" }, `${texts.redirect_uri} `, el("code", {}, connection.redirect_uri)) : null,
    save);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    error.hidden = true;
    busy(save, async () => {
      try {
        await api("PUT", `/api/v1/connections/${id}/credentials`, { client_id: clientId.value.trim(), client_secret: secret.value.trim() });
        secret.value = "";
        await reload();
      } catch (problem) { fail(problem); }
    });
  });
  const settings = el("details", { open: connection.status === "not_configured" },
    el("summary", {}, texts.app_settings), form);
  return el("section", { class: "card", "data-provider": id }, header, actions, error, settings);
}

/** Fills `container` with one card per provider, and keeps it current after each change. */
export async function showProviders(container) {
  const reload = async () => {
    try {
      const { connections } = await api("GET", "/api/v1/connections");
      container.replaceChildren(...connections.map((connection) => card(connection, reload)));
    } catch (problem) {
      if (problem.status === 401) { toLogin(); return; }
      banner(explain(problem));
    }
  };
  await reload();
}
