/* Runs first in <body>, before anything is drawn: GOV.UK Frontend's JavaScript-enabled classes. */
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
