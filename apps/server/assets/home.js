// The home page: type the party's code (or paste its link) and go to its room.
import { $, fieldError, texts } from "./soiree.js";

// Codes are six of these characters (no 0, O, 1 or I, which people confuse).
const CODE = /^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}$/;

$("join-code").addEventListener("submit", (event) => {
  event.preventDefault();
  const typed = $("code").value;
  const fromLink = typed.match(/\/rooms\/([A-Za-z0-9]{6})/);
  const code = fromLink ? fromLink[1].toUpperCase() : typed.toUpperCase().replace(/[\s-]/g, "");
  if (!CODE.test(code)) {
    fieldError("code", texts.code_invalid);
    $("code").focus();
    return;
  }
  fieldError("code", "");
  window.location.assign(`/rooms/${code}`);
});
