"""Form shapes (CSRF, rendering and the browser-side checks); the rules live in the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import DateField
from wtforms import EmailField
from wtforms import PasswordField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired
from wtforms.validators import Optional

from ..models import TLP
from ..models import CaseStatus
from ..models import HandlingCode
from ..models import Role
from ..models.cases import SUMMARY_MAX
from ..models.cases import TITLE_MAX

__all__ = [
    "options",
    "LoginForm",
    "CaseForm",
    "UserForm",
    "PasswordForm",
    "EmptyForm",
    "LanguageForm",
]


def options(pairs) -> list[SelectChoice]:
    """Turn (value, label) pairs into the choices WTForms expects."""
    return [SelectChoice(value, label) for value, label in pairs]


TLP_CHOICES = options((t.value, "TLP:" + t.value) for t in TLP)
HANDLING_CHOICES = options(
    [
        (HandlingCode.H0.value, _l("H0 — use for crime prevention only")),
        (HandlingCode.H1.value, _l("H1 — not for court without permission")),
        (HandlingCode.H2.value, _l("H2 — not to be passed on without permission")),
        (HandlingCode.H3.value, _l("H3 — other restrictions (state them)")),
    ]
)
STATUS_CHOICES = options(
    [(CaseStatus.OPEN.value, _l("open")), (CaseStatus.CLOSED.value, _l("closed"))]
)
ROLE_CHOICES = options(
    [
        (Role.OFFICER.value, _l("officer")),
        (Role.LIAISON.value, _l("liaison")),
        (Role.PARTNER.value, _l("partner")),
        (Role.AUDITOR.value, _l("auditor")),
        (Role.ADMIN.value, _l("admin")),
    ]
)


class EmptyForm(FlaskForm):
    """A form with only its CSRF token (buttons such as log out, deactivate)."""


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[InputRequired()])
    password = PasswordField(_l("Password"), validators=[InputRequired()])


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language"), choices=options([("en", "English"), ("fr", "Français")]))


class CaseForm(FlaskForm):
    title = StringField(_l("Title"), render_kw={"maxlength": TITLE_MAX})
    summary = TextAreaField(_l("Summary"), render_kw={"maxlength": SUMMARY_MAX, "rows": 6})
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)
    tlp = SelectField(_l("TLP label"), choices=TLP_CHOICES, default=TLP.AMBER.value)
    handling_code = SelectField(_l("Handling code"), choices=HANDLING_CHOICES)
    handling_restriction = StringField(_l("Restriction (H3)"))
    shared_with = SelectMultipleField(_l("Shared with"), choices=[], validate_choice=False)
    assigned_officer = SelectField(_l("Assigned officer"), choices=[], validate_choice=False)
    tags = StringField(_l("Tags"), description=_l("Separated by commas."))
    opened_on = DateField(_l("Opened on"), validators=[Optional()])


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail"))
    name = StringField(_l("Name"))
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    organisation_codes = SelectMultipleField(
        _l("Organisations"),
        choices=[],
        validate_choice=False,
        description=_l("The first is the home organisation; only liaisons may have several."),
    )
    language = SelectField(
        _l("Language"),
        choices=options([("", _l("browser's")), ("en", "English"), ("fr", "Français")]),
    )
    password = PasswordField(_l("Initial password"))


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password"))


class ReactivateForm(FlaskForm):
    confirm = BooleanField(_l("Allow this user to log in again"))
