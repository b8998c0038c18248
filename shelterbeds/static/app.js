/* shelterbeds: small progressive enhancements. Every page works without this file.
 *
 * - the menu (a <details>) is open as a row on wide screens, and marks the current page;
 * - live requests: poll /requests/live every 10 s with If-None-Match (304 when nothing
 *   changed); on a change update the waiting-request count in the header and, on the
 *   requests page, the list in place: new rows are added and rows whose status changed are
 *   replaced. Nothing reloads; a row whose form is being filled is left alone until its
 *   status really changes.
 * - hold countdowns tick down each half minute;
 * - "add child" on the household forms reveals one more hidden child row.
 * No inline scripts or handlers (the pages' CSP allows scripts from this origin only).
 */
(function () {
  "use strict";

  var POLL_MS = 10000;

  function wideMenu() {
    var menu = document.querySelector("[data-menu]");
    if (!menu || !window.matchMedia) return;
    var wide = window.matchMedia("(min-width: 48rem)");
    var apply = function () { menu.open = wide.matches; };
    apply();
    if (wide.addEventListener) wide.addEventListener("change", apply);
    var here = window.location.pathname;
    menu.querySelectorAll("nav a").forEach(function (a) {
      if (a.getAttribute("href") === here) a.setAttribute("aria-current", "page");
    });
  }

  function tickCountdowns(root) {
    (root || document).querySelectorAll("[data-minutes-until]").forEach(function (el) {
      var until = Date.parse(el.getAttribute("data-minutes-until"));
      if (isNaN(until)) return;
      var left = Math.max(0, Math.ceil((until - Date.now()) / 60000));
      el.textContent = String(left);
    });
  }

  function setCount(pending) {
    document.querySelectorAll("[data-live=pending-count]").forEach(function (el) {
      el.textContent = String(pending);
      el.classList.toggle("zero", pending === 0);
      var label = el.getAttribute("aria-label");
      if (label) el.setAttribute("aria-label", label.replace(/\d+/, String(pending)));
    });
  }

  function busy(row) {
    // A row being answered: focus inside it, or a reason already chosen.
    if (row.contains(document.activeElement) && document.activeElement !== row) return true;
    var chosen = false;
    row.querySelectorAll("select").forEach(function (s) { if (s.value) chosen = true; });
    return chosen;
  }

  function mergeList(container, html) {
    var list = container.querySelector("[data-live-list]");
    var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live-list]");
    if (!list || !fresh) return 0;
    var changed = 0;
    var empty = list.querySelector(":scope > li.empty");
    var previous = null;
    fresh.querySelectorAll(":scope > li[data-request-id]").forEach(function (row) {
      var old = list.querySelector("#" + row.id);
      var node = document.importNode(row, true);
      if (!old) {
        node.classList.add("new-arrival");
        if (previous && previous.parentNode === list) previous.after(node);
        else list.prepend(node);
        changed++;
      } else if (old.getAttribute("data-status") !== row.getAttribute("data-status")) {
        old.replaceWith(node);
        changed++;
      } else if (busy(old)) {
        node = old;  // same status, someone is filling it in: keep their input
      } else {
        node = old;
      }
      previous = node;
    });
    if (changed && empty && list.querySelector("li[data-request-id]")) empty.remove();
    tickCountdowns(list);
    return changed;
  }

  function live() {
    var container = document.querySelector("[data-live-requests]");
    var hasBadge = document.querySelector("[data-live=pending-count]");
    if ((!container && !hasBadge) || !window.fetch) return;
    // The page says which version it shows: a change before the first poll is not missed.
    var etag = container ? container.getAttribute("data-etag") : null;
    var status = container && container.querySelector("[data-live-status]");
    var poll = function () {
      if (document.hidden) return;
      var headers = { Accept: "application/json" };
      if (etag) headers["If-None-Match"] = etag;
      fetch("/requests/live", { headers: headers, credentials: "same-origin", cache: "no-store" })
        .then(function (r) {
          if (r.status === 304 || !r.ok) return null;
          etag = r.headers.get("ETag");
          return r.json().then(function (data) {
            setCount(data.pending);
            if (!container) return null;
            return fetch(container.getAttribute("data-list-url"), { credentials: "same-origin", cache: "no-store" })
              .then(function (res) { return res.ok ? res.text() : null; })
              .then(function (html) {
                if (!html) return;
                var n = mergeList(container, html);
                if (n && status) status.setAttribute("data-updated", new Date().toISOString());
              });
          });
        })
        .catch(function () { /* offline for a moment: try again next time */ });
    };
    poll();
    window.setInterval(poll, POLL_MS);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
  }

  function addChild() {
    document.querySelectorAll("[data-add-child]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        var next = document.querySelector(".child-row[data-spare]");
        if (!next) return;  // none left: let the form ask the server
        event.preventDefault();
        next.hidden = false;
        next.removeAttribute("data-spare");
        var age = next.querySelector("input[type=number]");
        if (age) age.focus();
        if (!document.querySelector(".child-row[data-spare]")) button.hidden = true;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wideMenu();
    tickCountdowns();
    window.setInterval(tickCountdowns, 30000);
    live();
    addChild();
  });
})();
