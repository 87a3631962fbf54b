// Host a party: name, when a song plays, guest rules; then straight into the room.
import { $, api, onSubmit } from "./soiree.js";

const FIELDS = {
  invalid_room_name: "name",
  invalid_threshold: "threshold",
  invalid_guest_rate: "rate",
  invalid_guest_cap: "max-guests",
};

const form = $("new-room");
onSubmit(form, async () => {
  const kind = form.querySelector("input[name=kind]:checked").value;
  const name = $("name").value.trim();
  const cap = $("max-guests").value.trim();
  const created = await api("POST", "/api/v1/rooms", {
    guests_allowed: $("guests").checked,
    guest_votes_per_2min: Number($("rate").value),
    ...(name ? { name } : {}),
    ...(cap ? { max_guests: Number(cap) } : {}),
    ...(kind === "fixed"
      ? { like_threshold: Number($("count").value) }
      : { like_threshold_share: Number($("share").value) / 100 }),
  });
  window.location.assign(`/rooms/${created.room.code}`);
}, FIELDS);
