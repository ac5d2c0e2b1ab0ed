// NHS.UK frontend components, on the page and in content that htmx swaps in.
import { initAll } from "/assets/nhsuk/nhsuk-frontend.min.js";

initAll();

document.addEventListener("htmx:load", (event) => {
  if (event.target instanceof HTMLElement && event.target !== document.body) {
    initAll(event.target);
  }
});
