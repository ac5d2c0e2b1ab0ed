// Loads the portal's own copy of htmx when the CDN copy did not arrive (blocked or unreachable).
(function () {
  "use strict";
  if (window.htmx) {
    return;
  }
  var marker = document.currentScript;
  var script = document.createElement("script");
  script.src = marker.getAttribute("data-local-src");
  script.setAttribute("data-htmx-source", "local");
  marker.parentNode.insertBefore(script, marker.nextSibling);
})();
