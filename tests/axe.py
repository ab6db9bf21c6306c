"""axe-core in the browser tests: the accessibility check every page visited must pass.

EN 301 549 (WCAG 2.1 AA) binds the public bodies that use assettrack. axe-core (npm, pinned in
package-lock.json, installed by ``make test`` with ``npm ci``) is injected through the DevTools
protocol — ``page.evaluate``, or a page init script — because the Content-Security-Policy blocks
a ``<script>`` tag. A ``serious`` or ``critical`` violation fails the test; the message names the
rule, the page and each offending node.

:class:`AxeWatch` checks every document a page shows: an init script runs axe when the document
has loaded and hands the result to Python (the renderer is busy with axe, so the next document
commits only after it), and :meth:`AxeWatch.check` runs it again at the end of the test on the
page as the test left it. A document already checked and unchanged since (a MutationObserver
watches it) is not checked twice. Checking at load, not before leaving, is deliberate: while a
navigation request is pending, ``page.evaluate`` does not return.
"""

import json
from pathlib import Path

import pytest

__all__ = ["BLOCKING", "AxeWatch", "axe_source", "blocking", "describe", "run_axe"]

REPO = Path(__file__).resolve().parent.parent
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("critical", "serious")  # the impacts that fail a test

# Runs axe on the document and marks it checked until its DOM changes. Runs queue one behind the
# other: axe refuses to start while a run is in progress.
_RUN = """async () => {
  if (window.__assettrackAxeLoadRun) {
    await window.__assettrackAxeLoadRun.catch(() => null);
  }
  const previous = window.__assettrackAxeRun || Promise.resolve();
  const run = previous.catch(() => null).then(() => axe.run(document, {
    resultTypes: ["violations"],
  }));
  window.__assettrackAxeRun = run;
  const result = await run;
  window.__assettrackAxeChecked = true;
  if (!window.__assettrackAxeObserver) {
    window.__assettrackAxeObserver = new MutationObserver(() => {
      window.__assettrackAxeChecked = false;
    });
    window.__assettrackAxeObserver.observe(document, {
      subtree: true, childList: true, attributes: true, characterData: true,
    });
  }
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target.map(String).join(" "),
      html: n.html,
      summary: n.failureSummary || "",
    })),
  }));
}"""

_IS_CHECKED = """async () => {
  if (window.__assettrackAxeLoadRun) {
    await window.__assettrackAxeLoadRun.catch(() => null);
  }
  return window.__assettrackAxeChecked === true;
}"""

# Appended to axe's source in the init script: check each top-level http(s) document once it has
# loaded, with the same run and observer as _RUN, and report to the binding.
_ON_LOAD = """
;(function () {
  if (window !== window.top || !location.protocol.startsWith("http")) { return; }
  window.addEventListener("load", function () {
    const check = (%s);
    window.__assettrackAxeLoadRun = check().then(
      function (violations) { return window.%s(JSON.stringify(violations)); },
      function (error) { return window.%s(JSON.stringify({error: String(error)})); }
    );
  });
})();
"""
_BINDING = "__assettrackAxeReport"
_LOADED = "() => typeof window.axe !== 'undefined'"

_source: str | None = None


def axe_source() -> str:
    """Return axe-core's script (read once); fail with what to run when it is missing."""
    global _source
    if _source is None:
        if not AXE_JS.exists():
            pytest.fail(
                f"{AXE_JS.relative_to(REPO)} is missing: run `npm ci` (or `make test`, which "
                "installs it) and run the browser tests again.",
                pytrace=False,
            )
        _source = AXE_JS.read_text(encoding="utf-8")
    return _source


def run_axe(page) -> list[dict]:
    """Inject axe-core into the page (once per document) and return all its violations."""
    if not page.evaluate(_LOADED):
        page.evaluate(axe_source())
    return page.evaluate(_RUN)


def blocking(violations: list[dict]) -> list[dict]:
    """The violations that fail a test: serious and critical ones."""
    return [v for v in violations if v["impact"] in BLOCKING]


def describe(violations: list[dict], url: str) -> str:
    """Explain violations for a failure message: rule, impact, help, then each node."""
    lines = []
    for v in violations:
        lines.append(f"axe {v['impact']} `{v['id']}` on {url}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"    {node['target']}: {_short(node['html'])}")
            for summary in node["summary"].splitlines():
                if summary.strip():
                    lines.append(f"        {summary.strip()}")
    return "\n".join(lines)


class AxeWatch:
    """Check every document a page shows; report failures to ``report(text)``.

    Install it on a fresh page with :meth:`install` before the first navigation.
    """

    def __init__(self, page, report):
        self.page = page
        self.report = report
        self.checked = 0  # documents checked, for the tests of this class's use

    def install(self) -> None:
        """Check each document the page loads from now on (before its first navigation)."""
        self.page.expose_binding(_BINDING, self._on_report)
        self.page.add_init_script(axe_source() + _ON_LOAD % (_RUN, _BINDING, _BINDING))

    def check(self) -> None:
        """Check the current document now, unless it was checked and has not changed since."""
        page = self.page
        if not page.url.startswith("http"):
            return  # about:blank before the first navigation, or a download
        if page.evaluate(_IS_CHECKED):
            return
        violations = blocking(run_axe(page))
        self.checked += 1
        if violations:
            self.report(describe(violations, page.url))

    def _on_report(self, source, payload: str) -> None:
        url = source["frame"].url
        result = json.loads(payload)
        if isinstance(result, dict):
            self.report(f"axe could not check {url}: {result['error']}")
            return
        self.checked += 1
        violations = blocking(result)
        if violations:
            self.report(describe(violations, url))


def _short(html: str, limit: int = 200) -> str:
    html = " ".join(html.split())
    return html if len(html) <= limit else html[: limit - 1] + "…"
