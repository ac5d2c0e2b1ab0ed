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

// A form that htmx swaps in place with its errors (a 422) keeps the page's old <title>: give it
// the "Error: " prefix the whole page would have had (and take it off again once the errors are
// gone), so that screen reader users hear the problem when they check where they are. The NHS
// error summary moves the focus to itself when it is set up (above).
const ERROR_PREFIX = "Error: ";

document.addEventListener("htmx:afterSettle", () => {
  const hasErrors = document.querySelector(".nhsuk-error-summary") !== null;
  const marked = document.title.startsWith(ERROR_PREFIX);
  if (hasErrors && !marked) {
    document.title = ERROR_PREFIX + document.title;
  } else if (!hasErrors && marked) {
    document.title = document.title.slice(ERROR_PREFIX.length);
  }
});

// A status shown in two places (the story form's autosave: beside the text being written and
// beside the buttons): htmx updates the live region, and each copy (`data-copy-of` its id, not a
// live region itself, so that each change is announced once) follows it.
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  if (!(target instanceof HTMLElement) || target.id === "") {
    return;
  }
  for (const copy of document.querySelectorAll(`[data-copy-of="${CSS.escape(target.id)}"]`)) {
    copy.textContent = target.textContent;
  }
});

// When htmx replaces the part of the page that held the focus (a form answered in place) and
// nothing in the new content takes the focus (autofocus, the error summary), it would fall back
// to the top of the page with nothing read out: put it on the new content's heading instead.
let focusWasInTarget = false;

document.addEventListener("htmx:beforeSwap", (event) => {
  const active = document.activeElement;
  const target = event.detail.target;
  focusWasInTarget =
    active !== null &&
    active !== document.body &&
    target instanceof Element &&
    target.contains(active);
});

document.addEventListener("htmx:afterSettle", (event) => {
  const content = event.target;
  const active = document.activeElement;
  if (!focusWasInTarget || (active !== null && active !== document.body)) {
    return;
  }
  if (!(content instanceof HTMLElement) || content === document.body) {
    focusWasInTarget = false; // a whole page: htmx and the browser look after its focus
    return;
  }
  const heading = content.matches("h1, h2") ? content : content.querySelector("h1, h2");
  if (heading !== null) {
    focusWasInTarget = false;
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
});
