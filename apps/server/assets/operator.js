// The operator's page: find accounts, see what each may keep and uses, move them between tiers
// and set limits for one account alone. Every change is recorded with a reason.
import { $, api, el, onSubmit, texts } from "./soiree.js";
import { LIMITS, TIERS, changeItems, limitRows, tierName } from "./tiers.js";

let page = 1;
let query = "";
let current = null;

async function list() {
  const params = new URLSearchParams({ page: String(page) });
  if (query) params.set("q", query);
  const found = await api("GET", `/api/v1/users?${params}`);
  $("accounts").replaceChildren(...found.users.map((user) => el("li", {},
    el("button", { type: "button", class: "link", "data-id": user.id }, user.username),
    ` ${tierName(user.tier)}`,
    user.operator ? el("span", { class: "badge" }, texts.operator_badge) : "")));
  const pages = Math.max(1, Math.ceil(found.total / found.per_page));
  $("paging").textContent = `${found.total} · ${texts.page_of} ${found.page}/${pages}`;
  $("previous").hidden = found.page <= 1;
  $("next").hidden = found.page >= pages;
}

$("previous").addEventListener("click", () => { page = Math.max(1, page - 1); list(); });
$("next").addEventListener("click", () => { page += 1; list(); });

async function show(id) {
  const detail = await api("GET", `/api/v1/users/${id}`);
  current = detail;
  const standing = detail.standing;
  $("account").hidden = false;
  $("account-name").textContent = `${detail.user.username} · ${tierName(standing.tier)}`;
  $("account-limits").replaceChildren(...limitRows(standing));
  $("move-tier").replaceChildren(...TIERS.map((tier) =>
    el("option", tier === standing.tier ? { value: tier, selected: "" } : { value: tier }, tierName(tier))));
  $("override-fields").replaceChildren(...LIMITS.map((name) => {
    const overridden = standing.limits.overridden.includes(name);
    const value = standing.limits[name];
    const shown = overridden ? (value === null ? "unlimited" : String(value)) : "";
    return el("label", {}, texts[`limit_${name}`] || name,
      el("input", { name, value: shown, placeholder: `${texts.as_tier} ${tierName(standing.tier)}`, autocomplete: "off" }));
  }));
  $("account-changes").replaceChildren(...changeItems(standing.changes));
}

onSubmit($("search"), async () => {
  query = $("q").value.trim();
  page = 1;
  await list();
});

$("accounts").addEventListener("click", (event) => {
  const id = event.target.closest("[data-id]")?.dataset.id;
  if (id) show(id);
});

onSubmit($("move"), async () => {
  $("move-saved").hidden = true;
  const reason = $("move-reason").value.trim();
  await api("POST", `/api/v1/users/${current.user.id}/upgrade`, {
    tier: $("move-tier").value,
    ...(reason ? { reason } : {}),
  });
  await show(current.user.id);
  await list();
  $("move-saved").hidden = false;
}, {}, "move-error");

onSubmit($("overrides"), async () => {
  $("overrides-saved").hidden = true;
  const overrides = {};
  for (const input of $("override-fields").querySelectorAll("input")) {
    const value = input.value.trim();
    if (value) overrides[input.name] = value;
  }
  const reason = $("move-reason").value.trim();
  await api("PUT", `/api/v1/users/${current.user.id}`, { overrides, ...(reason ? { reason } : {}) });
  await show(current.user.id);
  $("overrides-saved").hidden = false;
}, {}, "overrides-error");

list();
