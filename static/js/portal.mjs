// NHS.UK frontend components, on the page and in content that htmx swaps in.
import { InitError, initAll } from "/assets/nhsuk/nhsuk-frontend.min.js";

initAll();

// A component found again that is already set up raises InitError: expected, and harmless.
const ignoreAlreadyInitialised = (error) => {
  if (!(error instanceof InitError)) {
    console.error(error);
  }
};

document.addEventListener("htmx:load", (event) => {
  const element = event.target;
  if (!(element instanceof HTMLElement) || element === document.body) {
    return;
  }
  // The scope is searched below itself, so start from the parent: a swapped-in element may be
  // a component itself (the header, when htmx replaces the whole body).
  initAll({ scope: element.parentElement ?? element, onError: ignoreAlreadyInitialised });
});
