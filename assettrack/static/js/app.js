/*
 * assettrack — progressive enhancement for the server-rendered pages.
 *
 * Vanilla ES2020, no dependencies, no eval, no inline handlers: it works
 * under `script-src 'self'`. Every page works without it; this file only
 * adds conveniences. Load it once per page, e.g. in <head>:
 *   <script src="{{ url_for('static', filename='js/app.js') }}" defer></script>
 *
 * Hooks (all opt-in through markup):
 *   [data-error-summary]                 focused on load; its links focus their field
 *   form[data-confirm], button[data-confirm]
 *                                        confirm() before submitting
 *   table.data[data-sortable]            client-side sort by clicking a header
 *     th[data-sort=none]                 ... except this column
 *     th[data-sort-type=number|date|text] force a column's type
 *     td[data-sort-value]                value used instead of the cell text
 *   input[data-filter-for=TABLE_ID]      filter that table's rows as you type
 *     [data-filter-count-for=TABLE_ID]   receives the number of visible rows
 *     [data-filter-empty-for=TABLE_ID]   shown only when no row matches
 *   .job[data-job-url]                   poll a job's JSON status every second
 *                                        (data-reload-when-done: reload the page when done)
 *   .stagebar-seg[data-value][data-total] set the segment's width
 *   [data-copy=ELEMENT_ID]               copy that element's text
 *     [data-copied-label]                word shown after copying ("Copied")
 */
(function () {
  "use strict";

  // Mark the document as scripted at once (before first paint when this file
  // is loaded in <head>), so CSS can hide no-JS fallbacks and show JS-only UI.
  const root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  const lang = root.lang || undefined;
  const collator = new Intl.Collator(lang, { numeric: true, sensitivity: "base" });

  // ---------------------------------------------------------------- helpers

  /** Call fn(el) for each element matching selector under scope. */
  function each(selector, fn, scope) {
    (scope || document).querySelectorAll(selector).forEach(fn);
  }

  let liveRegion = null;

  /** Announce a short message to screen readers (polite live region). */
  function announce(text) {
    if (!liveRegion) {
      liveRegion = document.createElement("div");
      liveRegion.className = "sr-only";
      liveRegion.setAttribute("role", "status");
      liveRegion.setAttribute("aria-live", "polite");
      document.body.appendChild(liveRegion);
    }
    liveRegion.textContent = "";
    window.setTimeout(function () { liveRegion.textContent = text; }, 50);
  }

  // Letters that Unicode does not decompose into base + accent.
  const FOLD = {
    "ß": "ss", "ẞ": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d",
    "ð": "d", "þ": "th", "ı": "i", "ŀ": "l", "ħ": "h", "ŧ": "t", "ς": "σ",
  };
  const FOLD_RE = /[ßẞæœøłđðþıŀħŧς]/g;

  /** Lower-case and strip accents: "Ștefan Łódź Άννα" -> "stefan lodz αννα". */
  function fold(text) {
    return String(text)
      .toLowerCase()
      .normalize("NFKD")
      .replace(/\p{M}/gu, "")
      .replace(FOLD_RE, function (c) { return FOLD[c] || c; })
      .replace(/\s+/g, " ")
      .trim();
  }

  // ----------------------------------------------------------- error summary

  // No select submits its form on change: moving through the options with the arrow keys
  // would leave the page (WCAG 3.2.2). Forms submit with their button.

  /** Focus the error summary of a re-rendered form, so it is read first (WCAG 3.3.1). */
  function initErrorSummary() {
    const summary = document.querySelector("[data-error-summary]");
    if (!summary) {
      return;
    }
    summary.focus();
    summary.addEventListener("click", function (event) {
      const link = event.target instanceof Element ? event.target.closest('a[href^="#"]') : null;
      const target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!target) {
        return;
      }
      event.preventDefault();
      const details = target.closest("details");
      if (details) {
        details.open = true;
      }
      // Show the field with its label or legend, then put the caret in it.
      const block = target.closest(".field, fieldset") || target;
      block.scrollIntoView({ block: "start" });
      if (target.tabIndex < 0 && !target.matches("input, select, textarea, button")) {
        target.tabIndex = -1;
      }
      target.focus({ preventScroll: true });
    });
  }

  // ---------------------------------------------------------------- confirm

  function initConfirm() {
    // Capture phase: runs before any other submit listener.
    document.addEventListener("submit", function (event) {
      const form = event.target;
      if (!(form instanceof HTMLFormElement)) {
        return;
      }
      const submitter = event.submitter;
      const message = (submitter && submitter.dataset && submitter.dataset.confirm) ||
        form.dataset.confirm;
      if (message && !window.confirm(message)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    }, true);
  }

  // ------------------------------------------------------------ sortable tables

  const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

  /** Parse "1 234,5", "1,234.5", "−12 %", "€ 3.000" into a number, or NaN. */
  function parseNumber(text) {
    let s = String(text).replace(/[\s\u00a0\u202f'’]/g, "").replace(/\u2212/g, "-");
    s = s.replace(/^[€$£¥]|[€$£¥%‰]$/g, "").replace(/^([-+])[€$£¥]/, "$1");
    if (!/^[-+]?(?:\d|[.,]\d)[\d.,]*$/.test(s)) {
      return NaN;
    }
    const lastComma = s.lastIndexOf(",");
    const lastDot = s.lastIndexOf(".");
    if (lastComma >= 0 && lastDot >= 0) {
      // Both present: the last one is the decimal separator.
      s = lastComma > lastDot ? s.replace(/\./g, "").replace(",", ".") : s.replace(/,/g, "");
    } else if (lastComma >= 0) {
      s = (s.match(/,/g).length > 1) ? s.replace(/,/g, "") : s.replace(",", ".");
    } else if (lastDot >= 0 && s.match(/\./g).length > 1) {
      s = s.replace(/\./g, "");
    }
    const n = Number(s);
    return Number.isFinite(n) ? n : NaN;
  }

  function parseDate(text) {
    const s = String(text).trim();
    if (!ISO_DATE.test(s)) {
      return NaN;
    }
    const t = Date.parse(s.length === 10 ? s + "T00:00:00Z" : s.replace(" ", "T"));
    return Number.isNaN(t) ? NaN : t;
  }

  /** The sort key text of a cell. */
  function cellValue(row, index) {
    const cell = row.cells[index];
    if (!cell) {
      return "";
    }
    if (cell.hasAttribute("data-sort-value")) {
      return cell.getAttribute("data-sort-value").trim();
    }
    return cell.textContent.replace(/\s+/g, " ").trim();
  }

  /** Decide a column's type from its non-empty values. */
  function columnType(th, values) {
    const forced = th.getAttribute("data-sort-type");
    if (forced === "number" || forced === "date" || forced === "text") {
      return forced;
    }
    const present = values.filter(function (v) { return v !== ""; });
    if (present.length === 0) {
      return "text";
    }
    if (present.every(function (v) { return !Number.isNaN(parseNumber(v)); })) {
      return "number";
    }
    if (present.every(function (v) { return !Number.isNaN(parseDate(v)); })) {
      return "date";
    }
    return "text";
  }

  /** The column index of a header cell, counting colspans. */
  function headerIndex(th) {
    let index = 0;
    for (const cell of th.parentElement.cells) {
      if (cell === th) {
        return index;
      }
      index += cell.colSpan || 1;
    }
    return -1;
  }

  function sortTable(table, th) {
    const index = headerIndex(th);
    if (index < 0) {
      return;
    }
    const current = th.getAttribute("aria-sort");
    const direction = current === "ascending" ? "descending" : "ascending";
    const sign = direction === "ascending" ? 1 : -1;

    for (const tbody of table.tBodies) {
      const rows = Array.from(tbody.rows);
      const raw = rows.map(function (row) { return cellValue(row, index); });
      const type = columnType(th, raw);
      const keyed = rows.map(function (row, i) {
        const v = raw[i];
        let key = v;
        if (type === "number") {
          key = parseNumber(v);
        } else if (type === "date") {
          key = parseDate(v);
        }
        const empty = v === "" || (type !== "text" && Number.isNaN(key));
        return { row: row, key: key, empty: empty, i: i };
      });
      keyed.sort(function (a, b) {
        if (a.empty || b.empty) {
          // Empty cells always go last, whatever the direction.
          return (a.empty === b.empty) ? a.i - b.i : (a.empty ? 1 : -1);
        }
        let cmp;
        if (type === "text") {
          cmp = collator.compare(a.key, b.key);
        } else {
          cmp = a.key < b.key ? -1 : (a.key > b.key ? 1 : 0);
        }
        return cmp !== 0 ? cmp * sign : a.i - b.i;
      });
      const fragment = document.createDocumentFragment();
      keyed.forEach(function (k) { fragment.appendChild(k.row); });
      tbody.appendChild(fragment);
    }

    each("thead th[aria-sort]", function (other) {
      if (other !== th) {
        other.removeAttribute("aria-sort");
      }
    }, table);
    th.setAttribute("aria-sort", direction);
  }

  function initSortable() {
    each("table.data[data-sortable]", function (table) {
      if (!table.tHead) {
        return;
      }
      const headRow = table.tHead.rows[table.tHead.rows.length - 1];
      if (!headRow) {
        return;
      }
      Array.from(headRow.cells).forEach(function (th) {
        if (th.tagName !== "TH" || th.getAttribute("data-sort") === "none" ||
            th.querySelector("a, button, input, select") || th.textContent.trim() === "") {
          return;
        }
        // Move the header's content into a real button: focusable, Enter/Space work.
        const button = document.createElement("button");
        button.type = "button";
        button.className = "sort-button";
        while (th.firstChild) {
          button.appendChild(th.firstChild);
        }
        th.appendChild(button);
        button.addEventListener("click", function () {
          sortTable(table, th);
        });
      });
    });
  }

  // ----------------------------------------------------------- table filter

  function initFilters() {
    each("input[data-filter-for]", function (input) {
      const id = input.getAttribute("data-filter-for");
      const table = document.getElementById(id);
      if (!table || !table.tBodies) {
        return;
      }
      const cache = new WeakMap();
      const counters = document.querySelectorAll('[data-filter-count-for="' + CSS.escape(id) + '"]');
      const empties = document.querySelectorAll('[data-filter-empty-for="' + CSS.escape(id) + '"]');

      function rowText(row) {
        let text = cache.get(row);
        if (text === undefined) {
          text = fold(row.getAttribute("data-filter-text") || row.textContent);
          cache.set(row, text);
        }
        return text;
      }

      function apply() {
        const terms = fold(input.value).split(" ").filter(Boolean);
        let visible = 0;
        for (const tbody of table.tBodies) {
          for (const row of tbody.rows) {
            const text = rowText(row);
            const match = terms.every(function (term) { return text.includes(term); });
            row.hidden = !match;
            if (match) {
              visible += 1;
            }
          }
        }
        counters.forEach(function (el) { el.textContent = String(visible); });
        empties.forEach(function (el) { el.hidden = visible !== 0; });
      }

      input.addEventListener("input", apply);
      input.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && input.value !== "") {
          input.value = "";
          apply();
          event.preventDefault();
        } else if (event.key === "Enter" && input.form && !input.hasAttribute("name")) {
          // A purely client-side filter must not submit the surrounding form.
          event.preventDefault();
        }
      });
      if (input.value !== "") {
        apply(); // the browser restored a value (back button)
      }
    });
  }

  // -------------------------------------------------------------- job polling

  const POLL_MS = 1000;
  const MAX_NETWORK_ERRORS = 10;

  function initJob(job) {
    const url = job.getAttribute("data-job-url");
    const progress = job.querySelector("progress");
    const message = job.querySelector(".job-message");
    const result = job.querySelector("a.job-result");
    let networkErrors = 0;

    if (message && !message.hasAttribute("aria-live")) {
      message.setAttribute("aria-live", "polite");
    }
    job.setAttribute("aria-busy", "true");

    function setProgress(value) {
      if (!progress) {
        return;
      }
      if (typeof value === "number" && Number.isFinite(value)) {
        const v = Math.max(0, Math.min(100, value));
        progress.value = v;
        progress.textContent = Math.round(v) + " %";
      }
    }

    function setMessage(text, isError) {
      if (!message) {
        return;
      }
      message.textContent = text || "";
      message.classList.toggle("error", Boolean(isError));
      if (isError) {
        message.setAttribute("role", "alert");
      }
    }

    function finish(state) {
      job.removeAttribute("aria-busy");
      job.classList.add(state === "done" ? "is-done" : "is-failed");
      job.dispatchEvent(new CustomEvent("job:" + state, { bubbles: true }));
    }

    function fail(text) {
      setMessage(text || job.getAttribute("data-error-label") || "The job failed.", true);
      finish("failed");
    }

    function handle(data) {
      const status = data && data.status;
      setProgress(data.progress);
      if (status === "done") {
        setProgress(100);
        if (job.hasAttribute("data-reload-when-done")) {
          // A report's page: its download appears once the file is issued.
          window.location.reload();
          return false;
        }
        setMessage(data.message || "", false);
        if (result && data.result) {
          result.href = data.result;
          result.hidden = false;
          result.removeAttribute("aria-hidden");
        }
        finish("done");
        announce(result && data.result ? result.textContent.trim() : (data.message || ""));
        return false;
      }
      if (status === "failed") {
        fail(data.error || data.message);
        return false;
      }
      if (status === "queued" && progress && !data.progress) {
        progress.removeAttribute("value"); // indeterminate until it starts
      }
      if (data.message && message && message.textContent !== data.message) {
        setMessage(data.message, false);
      }
      return true;
    }

    function schedule(delay) {
      window.setTimeout(poll, delay);
    }

    function poll() {
      fetch(url, {
        credentials: "same-origin",
        // Background polling: does not keep the session alive (auth.BACKGROUND_HEADER).
        headers: { Accept: "application/json", "X-Background-Poll": "1" },
        cache: "no-store",
      }).then(function (response) {
        if (response.status === 401 || response.status === 403 || response.status === 404) {
          throw Object.assign(new Error("HTTP " + response.status), { fatal: true });
        }
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      }).then(function (data) {
        networkErrors = 0;
        if (handle(data)) {
          schedule(POLL_MS);
        }
      }).catch(function (error) {
        networkErrors += 1;
        if (error && error.fatal) {
          fail(job.getAttribute("data-error-label") || error.message);
        } else if (networkErrors >= MAX_NETWORK_ERRORS) {
          fail(job.getAttribute("data-network-error-label") ||
            "The server does not answer. Reload the page to try again.");
        } else {
          // Back off a little while the server is unreachable.
          schedule(POLL_MS * Math.min(networkErrors + 1, 5));
        }
      });
    }

    poll();
  }

  function initJobs() {
    each(".job[data-job-url]", initJob);
  }

  // ---------------------------------------------------------------- stage bars

  function initStagebars() {
    each(".stagebar-seg[data-value][data-total]", function (seg) {
      const value = Number(seg.getAttribute("data-value"));
      const total = Number(seg.getAttribute("data-total"));
      let pct = 0;
      if (Number.isFinite(value) && Number.isFinite(total) && total > 0 && value > 0) {
        pct = Math.min(100, (value / total) * 100);
      }
      seg.style.width = pct.toFixed(3) + "%";
      seg.classList.toggle("is-empty", pct === 0);
      if (!seg.hasAttribute("title")) {
        const label = seg.textContent.replace(/\s+/g, " ").trim();
        if (label) {
          seg.title = label;
        }
      }
    });
  }

  // ------------------------------------------------------------------- copy

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Fallback for plain-HTTP intranets: a temporary off-screen textarea.
    return new Promise(function (resolve, reject) {
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "sr-only";
      document.body.appendChild(area);
      area.select();
      let ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (e) {
        ok = false;
      }
      area.remove();
      if (ok) {
        resolve();
      } else {
        reject(new Error("copy failed"));
      }
    });
  }

  function initCopy() {
    document.addEventListener("click", function (event) {
      const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
      if (!button) {
        return;
      }
      const source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) {
        return;
      }
      event.preventDefault();
      const text = ("value" in source && typeof source.value === "string")
        ? source.value
        : source.textContent.trim();
      copyText(text).then(function () {
        const label = button.getAttribute("data-copied-label") || "Copied";
        if (!button.hasAttribute("data-original-label")) {
          button.setAttribute("data-original-label", button.textContent);
        }
        button.textContent = label;
        button.classList.add("is-copied");
        announce(label);
        window.clearTimeout(button._copyTimer);
        button._copyTimer = window.setTimeout(function () {
          button.textContent = button.getAttribute("data-original-label");
          button.removeAttribute("data-original-label");
          button.classList.remove("is-copied");
        }, 2000);
      }).catch(function () {
        // Leave the text selected so the user can copy it by hand.
        const range = document.createRange();
        range.selectNodeContents(source);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      });
    });
  }

  // ----------------------------------------------------------- scroll regions

  /** Make horizontally scrolling table wrappers reachable by keyboard. */
  function initTableWraps() {
    each(".table-wrap", function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1 && !wrap.hasAttribute("tabindex")) {
        wrap.tabIndex = 0;
        if (!wrap.hasAttribute("role")) {
          wrap.setAttribute("role", "region");
        }
        const caption = wrap.querySelector("caption");
        if (!wrap.hasAttribute("aria-label") && !wrap.hasAttribute("aria-labelledby") && caption) {
          if (!caption.id) {
            caption.id = "caption-" + Math.random().toString(36).slice(2, 10);
          }
          wrap.setAttribute("aria-labelledby", caption.id);
        }
      }
    });
  }

  // -------------------------------------------------------------------- start

  function start() {
    initErrorSummary();
    initConfirm();
    initSortable();
    initFilters();
    initJobs();
    initStagebars();
    initCopy();
    initTableWraps();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
