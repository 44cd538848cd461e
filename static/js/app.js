/*
 * AMHP Hub page behaviour. No dependencies.
 *
 * Live countdowns: every <time data-countdown datetime="ISO 8601"> shows how
 * long is left until that time, or how long ago it passed:
 *
 *   "due in 45 min", "due in 3 h 12 min", "due in 2 days 4 h",
 *   "overdue by 1 h 5 min"
 *
 * Days appear only from 24 hours; minutes are rounded down. The text is
 * refreshed immediately, every 30 seconds, when the tab becomes visible again,
 * and for content that htmx swaps in.
 *
 * The element's GOV.UK tag colour follows the urgency: govuk-tag--red when
 * overdue, govuk-tag--orange within 1 hour, govuk-tag--yellow within 4 hours.
 * Any other govuk-tag--* colour the server rendered (for example grey) is
 * the calm colour: it is removed while an urgency colour applies and restored
 * after. Countdowns deliberately have no aria-live: announcing every change
 * would drown out everything else.
 */
(function () {
  "use strict";

  var MINUTE = 60 * 1000;
  var HOUR = 60 * MINUTE;
  var DAY = 24 * HOUR;
  var REFRESH_MS = 30 * 1000;

  var URGENCY_CLASSES = ["govuk-tag--red", "govuk-tag--orange", "govuk-tag--yellow"];

  /** "3 h 12 min", "45 min", "2 days 4 h" for a non-negative duration in ms. */
  function formatDuration(ms) {
    var totalMinutes = Math.floor(ms / MINUTE);
    var days = Math.floor(totalMinutes / (24 * 60));
    var hours = Math.floor((totalMinutes % (24 * 60)) / 60);
    var minutes = totalMinutes % 60;

    if (days > 0) {
      var text = days + (days === 1 ? " day" : " days");
      return hours > 0 ? text + " " + hours + " h" : text;
    }
    if (hours > 0) {
      return minutes > 0 ? hours + " h " + minutes + " min" : hours + " h";
    }
    return minutes + " min";
  }

  /** The countdown text for a due time, seen at `now` (both Dates or ms). */
  function formatCountdown(due, now) {
    var diff = due - now;
    return diff < 0 ? "overdue by " + formatDuration(-diff) : "due in " + formatDuration(diff);
  }

  /** The urgency tag class for a due time, or null when there is time. */
  function urgencyClass(due, now) {
    var diff = due - now;
    if (diff < 0) return "govuk-tag--red";
    if (diff <= HOUR) return "govuk-tag--orange";
    if (diff <= 4 * HOUR) return "govuk-tag--yellow";
    return null;
  }

  function applyUrgency(el, urgency) {
    // Remember, once, which colour the server gave the tag for calm times.
    if (el.dataset.countdownCalm === undefined) {
      el.dataset.countdownCalm = Array.prototype.filter
        .call(el.classList, function (name) {
          return name.indexOf("govuk-tag--") === 0 && URGENCY_CLASSES.indexOf(name) === -1;
        })
        .join(" ");
    }
    var calm = el.dataset.countdownCalm ? el.dataset.countdownCalm.split(" ") : [];

    URGENCY_CLASSES.forEach(function (name) {
      el.classList.toggle(name, name === urgency);
    });
    calm.forEach(function (name) {
      el.classList.toggle(name, urgency === null);
    });
  }

  function updateCountdown(el, now) {
    var due = Date.parse(el.getAttribute("datetime"));
    if (isNaN(due)) return;
    var text = formatCountdown(due, now);
    if (el.textContent !== text) el.textContent = text;
    applyUrgency(el, urgencyClass(due, now));
  }

  /** Update every countdown in `root` (default: the whole document). */
  function updateCountdowns(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var now = Date.now();
    if (scope.matches && scope.matches("time[data-countdown]")) updateCountdown(scope, now);
    Array.prototype.forEach.call(scope.querySelectorAll("time[data-countdown]"), function (el) {
      updateCountdown(el, now);
    });
  }

  function start() {
    updateCountdowns(document);
    window.setInterval(function () {
      updateCountdowns(document);
    }, REFRESH_MS);

    // Background tabs throttle timers: catch up as soon as the tab is seen.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") updateCountdowns(document);
    });

    // New content from htmx (the queue refreshing itself, for example).
    document.body.addEventListener("htmx:load", function (event) {
      updateCountdowns(event.detail && event.detail.elt);
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      updateCountdowns(event.detail && event.detail.target);
    });
  }

  window.AMHPHub = {
    formatCountdown: formatCountdown,
    urgencyClass: urgencyClass,
    updateCountdowns: updateCountdowns
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
