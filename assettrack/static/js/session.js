/*
 * assettrack — warn before a signed-in session ends for inactivity.
 *
 * Reads #session-warning (rendered by base.html for a signed-in browser session):
 *   data-idle          idle timeout in seconds
 *   data-warning       warn this many seconds before the end
 *   data-status-url    GET: {"remaining": seconds}; sent as background polling, so asking
 *                      does not extend the session
 *   data-keepalive-url POST (with X-CSRFToken): counts as activity, returns {"remaining"}
 *   data-csrf          the CSRF token for the keep-alive post
 *   data-ended-text    shown once the session has ended
 * Another tab may keep the session alive meanwhile: the status is asked before warning.
 */
(function () {
  "use strict";

  const box = document.getElementById("session-warning");
  if (!box) {
    return;
  }
  const idle = Number(box.getAttribute("data-idle")) || 1800;
  const warning = Number(box.getAttribute("data-warning")) || 120;
  const statusUrl = box.getAttribute("data-status-url");
  const keepAliveUrl = box.getAttribute("data-keepalive-url");
  const csrf = box.getAttribute("data-csrf");
  const countdown = box.querySelector("[data-countdown]");
  const button = box.querySelector("[data-keepalive]");
  const text = document.getElementById("session-warning-text");
  // The server notes activity at most once a minute: the session may end up to a minute
  // earlier than page load + idle, so the first check comes that much sooner.
  const SLACK = 60;
  let timer = null;
  let tick = null;
  let endsAt = 0;

  function schedule(seconds, fn) {
    window.clearTimeout(timer);
    timer = window.setTimeout(fn, Math.max(seconds, 1) * 1000);
  }

  function format(seconds) {
    const s = Math.max(0, Math.round(seconds));
    const m = Math.floor(s / 60);
    return m + ":" + String(s % 60).padStart(2, "0");
  }

  function hide() {
    window.clearInterval(tick);
    box.hidden = true;
  }

  function ended() {
    window.clearInterval(tick);
    window.clearTimeout(timer);
    text.textContent = box.getAttribute("data-ended-text");
    button.hidden = true;
    box.hidden = false;
  }

  function show(remaining) {
    endsAt = Date.now() + remaining * 1000;
    const wasHidden = box.hidden;
    box.hidden = false;
    const update = function () {
      const left = (endsAt - Date.now()) / 1000;
      if (left <= 0) {
        check();
        return;
      }
      countdown.textContent = format(left);
    };
    update();
    window.clearInterval(tick);
    tick = window.setInterval(update, 1000);
    if (wasHidden) {
      button.focus();
    }
  }

  function react(remaining) {
    if (remaining <= 0) {
      ended();
    } else if (remaining <= warning + 5) {
      show(remaining);
      schedule(remaining, check);
    } else {
      hide();
      schedule(remaining - warning, check);
    }
  }

  function check() {
    fetch(statusUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-Background-Poll": "1" },
      cache: "no-store",
    }).then(function (response) {
      return response.json().then(function (data) {
        return response.ok ? Number(data.remaining) || 0 : 0;
      });
    }).then(react).catch(function () {
      schedule(30, check);  // network trouble: ask again soon
    });
  }

  button.addEventListener("click", function () {
    fetch(keepAliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf },
      cache: "no-store",
    }).then(function (response) {
      return response.json().then(function (data) {
        return response.ok ? Number(data.remaining) || 0 : 0;
      });
    }).then(react).catch(function () {
      schedule(5, check);
    });
  });

  schedule(idle - warning - SLACK, check);
})();
