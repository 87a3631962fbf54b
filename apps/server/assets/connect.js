// The Connect page: the provider cards, and what came back from the provider's consent page.
import { $, api, banner, texts } from "./soiree.js";
import { showProviders } from "./providers.js";

const params = new URLSearchParams(window.location.search);
if (params.get("connected")) {
  banner(texts.connected_banner, "ok");
  // The likes of a service just connected come now, not at the sync's next turn (up to the
  // server's interval away); a failure here changes nothing: the sync comes by itself later.
  api("POST", "/api/v1/library/sync").catch(() => {});
} else if (params.get("error")) {
  const code = params.get("error");
  banner(`${texts.connect_failed} ${texts[`callback_${code}`] || texts[code] || texts.error_generic}`, "error");
}
// The address bar keeps no outcome: reloading the page should not announce it again.
if (params.has("connected") || params.has("error")) window.history.replaceState(null, "", "/connect");
showProviders($("providers"));
