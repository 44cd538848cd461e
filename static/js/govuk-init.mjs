/* Start GOV.UK Frontend's components, and those inside content that htmx swaps in. */
import { initAll } from "../vendor/govuk-frontend.min.js";

initAll();
document.body.addEventListener("htmx:load", (event) => {
  if (event.detail.elt !== document.body) initAll(event.detail.elt);
});
