// Warns two minutes before an idle session ends and lets the person stay signed in
// (WCAG 2.2.1 Timing Adjustable). Times come from data attributes on the dialog; every htmx
// request also renews the session on the server, so it restarts the clock here too.
//
// htmx may replace the page's body (HX-Location) without running this script again, bringing a
// new <dialog> with it: so the dialog is looked up each time it is needed, never kept.
(function () {
  "use strict";
  var DIALOG_ID = "session-timeout";
  var first = document.getElementById(DIALOG_ID);
  if (!first || typeof first.showModal !== "function") {
    return;
  }
  var warnTimer = null;
  var endTimer = null;

  function currentDialog() {
    return document.getElementById(DIALOG_ID);
  }

  function goToSignIn(dialog) {
    window.location.assign(dialog.getAttribute("data-sign-in-url"));
  }

  function schedule() {
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    var dialog = currentDialog();
    if (!dialog) {
      return; // the page now shown is not a signed-in page
    }
    var idle = Number(dialog.getAttribute("data-idle-seconds")) * 1000;
    var warning = Number(dialog.getAttribute("data-warning-seconds")) * 1000;
    warnTimer = window.setTimeout(function () {
      var shown = currentDialog();
      if (shown && !shown.open) {
        shown.showModal();
      }
    }, Math.max(idle - warning, 0));
    endTimer = window.setTimeout(function () {
      goToSignIn(dialog);
    }, idle);
  }

  function staySignedIn(dialog) {
    fetch(dialog.getAttribute("data-keep-alive-url"), {
      method: "POST",
      credentials: "same-origin",
      // A session that has already ended answers with a redirect to the sign-in page: that is
      // not a renewed session, so do not follow it as if it were.
      redirect: "manual",
      headers: { "X-CSRFToken": dialog.getAttribute("data-csrf-token") },
    }).then(
      function (response) {
        if (response.status === 204) {
          dialog.close();
          schedule();
        } else {
          goToSignIn(dialog);
        }
      },
      function () {
        // The server could not be reached: leave the warning open, so the person can try again.
      },
    );
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var button = target instanceof Element ? target.closest("[data-stay-signed-in]") : null;
    var dialog = currentDialog();
    if (button && dialog && dialog.contains(button)) {
      staySignedIn(dialog);
    }
  });
  document.addEventListener("htmx:afterRequest", schedule);
  schedule();
})();
