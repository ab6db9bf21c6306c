"""What every page with forms gets before it renders: unique field ids and an error summary.

WCAG 2.1 asks that each label names its own field (1.3.1, 4.1.2) and that an error is announced
(3.3.1, 4.1.3). Both are done here once, for every template, instead of in each form page:

- A page that holds several forms receives each extra one as ``<name>_form`` (the asset page's
  ``valuation_form``, ``ledger_form``, ``manager_form``); the ids of that form's fields are
  prefixed ``<name>-`` (``valuation-amount``), so two forms never share an id. The field names
  that are posted stay the same.
- When a form in the context holds errors, ``error_summary`` lists them (field id, label,
  message) for base.html, which shows it at the top of the page, prefixes the title with
  "Error:" and lets app.js move the focus to it.
"""

from flask import before_render_template
from flask_wtf import FlaskForm

__all__ = ["init_app", "error_summary"]

_HIDDEN = {"CSRFTokenField", "HiddenField"}


def init_app(app) -> None:
    """Prepare the forms of every template the app renders."""
    before_render_template.connect(_prepare, app)


def error_summary(forms) -> list[dict]:
    """The errors of ``forms``, in field order: ``{"id", "label", "message"}``; id None for an
    error of the form as a whole (or of a hidden field, which has nothing to focus)."""
    items = []
    for form in forms:
        for message in getattr(form, "form_errors", None) or []:
            items.append({"id": None, "label": None, "message": str(message)})
        for field in form:
            for message in _messages(field.errors):
                if field.type in _HIDDEN:
                    items.append({"id": None, "label": None, "message": message})
                else:
                    items.append({"id": _target(field), "label": field.label.text,
                                  "message": message})
    return items


def _prepare(sender, template, context, **extra) -> None:
    forms = [(name, value) for name, value in context.items() if isinstance(value, FlaskForm)]
    for name, form in forms:
        if name.endswith("_form") and not getattr(form, "_ids_prefixed", False):
            prefix = name.removesuffix("_form").replace("_", "-") + "-"
            for field in form:
                field.id = prefix + field.id
                field.label.field_id = field.id
            form._ids_prefixed = True
    if "error_summary" not in context:
        context["error_summary"] = error_summary(form for _, form in forms)


def _target(field) -> str:
    # A group of radio buttons is named by its first button, the one that takes the focus.
    if field.type == "RadioField":
        return f"{field.id}-0"
    return field.id


def _messages(errors) -> list[str]:
    # A field's errors are strings; a FormField or FieldList nests lists and dicts of them.
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _messages(value)]
    if isinstance(errors, list | tuple):
        return [m for value in errors for m in _messages(value)]
    return [str(errors)] if errors else []
