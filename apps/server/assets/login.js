// Log in (with a second step when the account has two-step login) and go where the visitor was
// heading.
import { $, api, localPath, onSubmit } from "./soiree.js";

const form = $("login");
const second = $("login-code");
let challenge = null;

onSubmit(form, async () => {
  let answer;
  try {
    answer = await api("POST", "/api/v1/auth/login", { username: $("username").value.trim(), password: $("password").value });
  } catch (error) {
    // The answer never says which of the two was wrong; the password is typed again.
    $("password").value = "";
    $("password").focus();
    throw error;
  }
  if (answer && answer.code === "mfa_required") {
    challenge = answer.challenge;
    form.hidden = true;
    second.hidden = false;
    $("code").focus();
    return;
  }
  window.location.assign(localPath(form.dataset.next));
});

onSubmit(second, async () => {
  try {
    await api("POST", "/api/v1/auth/login/mfa", { challenge, code: $("code").value.trim() });
  } catch (error) {
    $("code").value = "";
    if (error.code === "challenge_expired") {
      // Start again from the password.
      second.hidden = true;
      form.hidden = false;
      $("password").value = "";
      $("password").focus();
    }
    throw error;
  }
  window.location.assign(localPath(form.dataset.next));
}, { invalid_code: "code" }, "code-form-error");
