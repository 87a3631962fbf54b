// Host a party: name, when a song plays, guest rules; then straight into the room.
import { $, api, busy, clearErrors, showError } from "./soiree.js";

const FIELDS = {
  invalid_room_name: "name",
  invalid_threshold: "threshold",
  invalid_guest_rate: "rate",
};

const form = $("new-room");
form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearErrors(form);
  const kind = form.querySelector("input[name=kind]:checked").value;
  const name = $("name").value.trim();
  const body = {
    guests_allowed: $("guests").checked,
    guest_votes_per_2min: Number($("rate").value),
    ...(name ? { name } : {}),
    ...(kind === "fixed"
      ? { like_threshold: Number($("count").value) }
      : { like_threshold_share: Number($("share").value) / 100 }),
  };
  busy(form.querySelector("button[type=submit]"), async () => {
    try {
      const created = await api("POST", "/api/v1/rooms", body);
      window.location.assign(`/rooms/${created.room.code}`);
    } catch (error) {
      showError(error, FIELDS);
    }
  });
});
