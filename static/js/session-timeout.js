// Warns two minutes before an idle session ends and lets the person stay signed in
// (WCAG 2.2.1 Timing Adjustable). Times come from data attributes on the dialog; every htmx
// request also renews the session on the server, so it restarts the clock here too.
(function () {
  "use strict";
  var dialog = document.getElementById("session-timeout");
  if (!dialog || typeof dialog.showModal !== "function") {
    return;
  }
  var idle = Number(dialog.getAttribute("data-idle-seconds")) * 1000;
  var warning = Number(dialog.getAttribute("data-warning-seconds")) * 1000;
  var keepAliveUrl = dialog.getAttribute("data-keep-alive-url");
  var signInUrl = dialog.getAttribute("data-sign-in-url");
  var token = dialog.getAttribute("data-csrf-token");
  var warnTimer = null;
  var endTimer = null;

  function schedule() {
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    warnTimer = window.setTimeout(function () {
      dialog.showModal();
    }, Math.max(idle - warning, 0));
    endTimer = window.setTimeout(function () {
      window.location.assign(signInUrl);
    }, idle);
  }

  dialog.querySelector("[data-stay-signed-in]").addEventListener("click", function () {
    fetch(keepAliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token },
    }).then(function (response) {
      if (response.ok) {
        dialog.close();
        schedule();
      } else {
        window.location.assign(signInUrl);
      }
    });
  });
  document.addEventListener("htmx:afterRequest", schedule);
  schedule();
})();
