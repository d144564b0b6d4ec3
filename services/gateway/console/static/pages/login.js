// Sign in with the console's cookie session, then go where the person was headed.
import { $, act, api, rememberSession, start } from "../app.js";

await start();

function destination() {
  const next = new URLSearchParams(location.search).get("next") || "";
  return next.startsWith("/console") && !next.startsWith("/console/login") ? next : "/console/";
}

const form = $("#login-form");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const answer = await act($("#login-submit"), () => api("POST", "/api/auth/login", {
    body: { username: form.username.value.trim(), password: form.password.value, mode: "cookie" },
    renewOn401: false,
  }), { form });
  if (answer) {
    rememberSession(answer.expires_in);
    location.assign(destination());
  }
});
$("#login-username").focus();
