"""Form shapes (CSRF, rendering and the browser-side checks); the rules live in the services."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField
from wtforms import DateField
from wtforms import EmailField
from wtforms import PasswordField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo
from wtforms.validators import InputRequired
from wtforms.validators import Optional
from wtforms.widgets import DateInput

from ..domain import schema as ftm_schema
from ..domain.lifecycle import MAX_LENGTHS
from ..domain.lifecycle import Action
from ..domain.lifecycle import ConfiscationType
from ..domain.lifecycle import DisposalKind
from ..domain.lifecycle import EarlySaleGround
from ..i18n import ftm_label
from ..i18n import lazy_ftm_label
from ..models import TLP
from ..models import CaseStatus
from ..models import HandlingCode
from ..models import OrganisationKind
from ..models import Role
from ..models.cases import SUMMARY_MAX
from ..models.cases import TITLE_MAX
from ..models.entities import CASE_ROLES
from ..models.entities import INFO_GRADES
from ..models.entities import RELATION_SCHEMATA
from ..models.entities import SOURCE_GRADES
from ..shapes import ACTION_FIELDS

__all__ = [
    "options",
    "LoginForm",
    "CaseForm",
    "UserForm",
    "PasswordForm",
    "RoleForm",
    "GrantForm",
    "OrganisationForm",
    "EnrolmentForm",
    "EnrolForm",
    "EmptyForm",
    "LanguageForm",
    "VALUE_LABELS",
    "label",
    "schema_label",
    "ENTITY_SCHEMA_CHOICES",
    "EntitySchemaForm",
    "entity_form",
    "property_field_name",
    "LinkEntityForm",
    "RelationForm",
    "DECISION_FIELDS",
    "DecisionActionForm",
    "DecisionForm",
    "AnnulForm",
    "DocumentForm",
    "ValuationForm",
    "LedgerForm",
    "ManagerForm",
    "DashboardForm",
    "IMPORT_FORMAT_CHOICES",
    "ImportForm",
    "RegisterUploadForm",
    "REGISTER_FIELD_LABELS",
    "RegisterMappingForm",
    "register_form",
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


class SecondFactorForm(FlaskForm):
    """The code of the authenticator app, or a recovery code."""

    code = StringField(
        _l("Code"),
        validators=[InputRequired()],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 40},
    )


class TokenForm(FlaskForm):
    """A new API token of the signed-in user."""

    name = StringField(_l("What is it for?"), render_kw={"maxlength": 100})
    days = StringField(_l("Valid for (days)"), render_kw={"inputmode": "numeric", "maxlength": 3})
    read_only = BooleanField(_l("Read only (the token can change nothing)"))
    code = StringField(
        _l("Code of your authenticator app"),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 40},
    )


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
    # The organisation is the admin's own: grants to others are made by their own admins.
    email = EmailField(_l("E-mail"))
    name = StringField(_l("Name"))
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    language = SelectField(
        _l("Language"),
        choices=options([("", _l("browser's")), ("en", "English"), ("fr", "Français")]),
    )
    password = PasswordField(_l("Initial password"))


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password"))


class ReactivateForm(FlaskForm):
    confirm = BooleanField(_l("Allow this user to log in again"))


class RoleForm(FlaskForm):
    role = SelectField(
        _l("Role"),
        choices=ROLE_CHOICES,
        description=_l("A user who stops being a liaison loses the grants to other organisations."),
    )


class GrantForm(FlaskForm):
    email = EmailField(
        _l("Liaison's e-mail"),
        description=_l("A liaison of another organisation, to read your organisation's cases."),
    )


_KIND_CHOICES = {
    OrganisationKind.LOCAL: _l("local: a city or agency of this installation"),
    OrganisationKind.REMOTE: _l("remote: an organisation of a peer installation"),
    OrganisationKind.INSTALLATION: _l("installation: the operator of this installation"),
}


class OrganisationForm(FlaskForm):
    code = StringField(_l("Code"), description=_l("A UN/LOCODE such as NLRTM."))
    name = StringField(_l("Name"))
    country = StringField(_l("Country"), description=_l("ISO 3166 two-letter code, e.g. NL."))
    timezone = StringField(_l("Time zone"), description=_l("IANA name, e.g. Europe/Amsterdam."))
    language = StringField(_l("Language"), description=_l("ISO 639-1 code, e.g. nl."))
    contact_email = EmailField(_l("Hit/no-hit contact"), validators=[Optional()])
    kind = SelectField(
        _l("Kind"), choices=options((k.value, _KIND_CHOICES[k]) for k in OrganisationKind)
    )


class OrganisationSettingsForm(FlaskForm):
    """An organisation's settings (its code, country and kind stay as created)."""

    name = StringField(_l("Name"))
    locode = StringField(
        _l("UN/LOCODE"), description=_l("When the code is not one: e.g. NLRTM. Optional.")
    )
    timezone = StringField(_l("Time zone"), description=_l("IANA name, e.g. Europe/Amsterdam."))
    language = StringField(_l("Language"), description=_l("ISO 639-1 code, e.g. nl."))
    contact_email = EmailField(_l("Hit/no-hit contact"), validators=[Optional()])
    second_factor_required = BooleanField(
        _l("Require a second factor at every sign-in with a password")
    )


class EnrolmentForm(FlaskForm):
    email = EmailField(_l("E-mail of the new admin"))
    name = StringField(_l("Name"))


class EnrolForm(FlaskForm):
    name = StringField(_l("Name"))
    password = PasswordField(_l("Password"))
    confirm = PasswordField(
        _l("Password again"), validators=[EqualTo("password", _l("The passwords differ."))]
    )


# --- lifecycle, entities, relations ----------------------------------------------------------

# Names stored as values (stages, actions, roles, kinds) and shown through a translation.
# Each is marked here so that ``pybabel extract`` finds it: templates show a one-word name with
# ``_(name)`` and any value with the ``label`` filter (``{{ decision.disposal|label }}``).
VALUE_LABELS = {
    # stages of an asset, and the derived stage of a case whose assets are all terminal
    "traced": _l("traced"),
    "frozen": _l("frozen"),
    "managed": _l("managed"),
    "confiscated": _l("confiscated"),
    "disposed": _l("disposed"),
    "released": _l("released"),
    "completed": _l("completed"),
    # actions of a decision
    "freeze": _l("freeze"),
    "confirm": _l("confirm"),
    "manage": _l("manage"),
    "confiscate": _l("confiscate"),
    "dispose": _l("dispose"),
    "release": _l("release"),
    # roles of an entity in a case (Law Enforcement Directive 2016/680, Art. 6)
    "suspect": _l("suspect"),
    "convicted": _l("convicted"),
    "victim": _l("victim"),
    "witness": _l("witness"),
    "associate": _l("associate"),
    "enabler": _l("enabler"),
    "other": _l("other"),
    # confiscation types
    "ordinary": _l("ordinary"),
    "value": _l("value confiscation"),
    "third_party": _l("third-party confiscation"),
    "extended": _l("extended confiscation"),
    "non_conviction_based": _l("non-conviction-based"),
    "unexplained_wealth": _l("unexplained wealth"),
    # disposals
    "social_reuse": _l("social re-use"),
    "public_use": _l("public use"),
    "sale": _l("sale"),
    "destruction": _l("destruction"),
    "victim_compensation": _l("victim compensation"),
    "returned_abroad": _l("returned abroad"),
    # grounds of an interlocutory sale
    "perishable": _l("perishable"),
    "rapidly_depreciating": _l("rapidly depreciating"),
    "disproportionate_cost": _l("disproportionate cost of keeping"),
    # ledger
    "cost": _l("cost"),
    "income": _l("income"),
    # relations (FtM schema names)
    "Ownership": _l("Ownership"),
    "Directorship": _l("Directorship"),
    "Representation": _l("Representation"),
    "Family": _l("Family"),
    "Associate": _l("Associate"),
    "Employment": _l("Employment"),
    "Membership": _l("Membership"),
    "Payment": _l("Payment"),
    "UnknownLink": _l("Other link"),
    # kinds of organisation
    "local": _l("local"),
    "remote": _l("remote"),
    "installation": _l("installation"),
}

# The English labels of the FtM schemata and properties (domain/schema.py), marked here so
# that they are translated where a form or a table shows them (``schema_label``, ``label``).


def label(value) -> str:
    """Return the translated name of a stored value (stage, action, role, kind, relation)."""
    if value in VALUE_LABELS:
        return str(VALUE_LABELS[value])
    return gettext(str(value)) if value else ""


def schema_label(name: str) -> str:
    """Return the translated label of an FtM schema (``Vessel`` → "Navire")."""
    try:
        return ftm_label(ftm_schema.get_schema(name).label)
    except ftm_schema.UnknownSchema:
        return name or ""


def _schema_choices():
    groups = (
        (ftm_schema.Kind.ASSET, _l("Assets")),
        (ftm_schema.Kind.PARTY, _l("Parties")),
        (ftm_schema.Kind.PLACE, _l("Places")),
    )
    return [
        (info.name, info.label, group)
        for kind, group in groups
        for info in ftm_schema.schemata(kind)
    ]


#: (schema name, English label, group) of the schemata an officer can add to a case.
ENTITY_SCHEMA_CHOICES = _schema_choices()

ROLE_IN_CASE_CHOICES = options((r, VALUE_LABELS[r]) for r in CASE_ROLES)
SOURCE_GRADE_CHOICES = options(
    [
        ("", _l("not graded")),
        ("A", _l("A — reliable")),
        ("B", _l("B — usually reliable")),
        ("C", _l("C — not usually reliable")),
        ("X", _l("X — cannot be assessed")),
    ]
)
INFO_GRADE_CHOICES = options(
    [
        ("", _l("not graded")),
        ("1", _l("1 — not in doubt")),
        ("2", _l("2 — known personally to the source")),
        ("3", _l("3 — corroborated")),
        ("4", _l("4 — cannot be corroborated")),
    ]
)
assert {c.value for c in SOURCE_GRADE_CHOICES} == {"", *SOURCE_GRADES}
assert {c.value for c in INFO_GRADE_CHOICES} == {"", *INFO_GRADES}

_DATE = {"placeholder": "YYYY-MM-DD"}
_MONEY = {"inputmode": "decimal", "autocomplete": "off", "class": "num"}
_CURRENCY = {"maxlength": 3, "autocomplete": "off", "size": 4}


def _money_field(text):
    return StringField(text, render_kw=_MONEY)


def _currency_field(text=_l("Currency")):
    return StringField(
        text, default="EUR", render_kw=_CURRENCY, description=_l("ISO 4217 code, such as EUR.")
    )


def _date_field(text, description=None):
    return StringField(text, widget=DateInput(), render_kw=_DATE, description=description)


class EntitySchemaForm(FlaskForm):
    """Step one of adding an entity: what kind of thing it is (sent by GET, no token)."""

    class Meta:
        csrf = False

    schema = SelectField(_l("Type"), choices=[], validate_choice=False)


class _EntityLinkFields(FlaskForm):
    role = SelectField(
        _l("Role in the case"), choices=ROLE_IN_CASE_CHOICES, default="other", validate_choice=False
    )
    source_grade = SelectField(
        _l("Source reliability"), choices=SOURCE_GRADE_CHOICES, validate_choice=False
    )
    info_grade = SelectField(
        _l("Information assessment"), choices=INFO_GRADE_CHOICES, validate_choice=False
    )
    note = TextAreaField(_l("Note"), render_kw={"rows": 2, "maxlength": 2000})


class _EntityForm(_EntityLinkFields):
    as_asset = BooleanField(
        _l("Seized as an asset (its shares or business)"),
        description=_l("A company is a party unless its shares or business are seized."),
    )
    estimated_value = _money_field(_l("Estimated value"))
    currency = _currency_field()


def property_field_name(prop: str) -> str:
    """Return the form field that holds FtM property ``prop`` (``prop_imoNumber``)."""
    return f"prop_{prop}"


def entity_form(schema_name: str, **kwargs):
    """Return a form for a new entity of ``schema_name``: its FtM properties, role and grades.

    Entity references (owner, holder, operator...) are left out: they are relations, recorded
    between two entities of the case.
    """
    info = ftm_schema.get_schema(schema_name)
    fields = {}
    for prop in info.properties.values():
        if prop.type == "entity":
            continue
        fields[property_field_name(prop.name)] = _property_field(prop)
    form_class = type(f"{schema_name}Form", (_EntityForm,), fields)
    form = form_class(**kwargs)
    form.property_names = [n for n, prop in info.properties.items() if prop.type != "entity"]
    can_be_asset = ftm_schema.is_asset_schema(schema_name, marked_as_asset=True)
    if info.kind is ftm_schema.Kind.ASSET or not can_be_asset:
        del form.as_asset  # only a Company is an asset by choice
    if not can_be_asset:
        del form.estimated_value, form.currency
    return form


def _property_field(prop):
    text = lazy_ftm_label(prop.label)  # FtM's label, translated when shown
    if prop.type == "text":
        return TextAreaField(text, render_kw={"rows": 3})
    if prop.type == "date":
        return StringField(
            text,
            render_kw={"placeholder": "YYYY-MM-DD", "autocomplete": "off"},
            description=_l("A year, a month (YYYY-MM) or a day (YYYY-MM-DD)."),
        )
    if prop.type == "country":
        return SelectField(text, choices=[], validate_choice=False)
    kw = {"autocomplete": "off"}
    if prop.type in ("identifier", "iban") or prop.format in ("decimal", "currency"):
        kw["class"] = "mono"
    return StringField(text, render_kw=kw)


class LinkEntityForm(_EntityLinkFields):
    """Link an entity already recorded in the organisation to this case."""

    entity_id = SelectField(_l("Entity"), choices=[], validate_choice=False)
    as_asset = BooleanField(_l("Seized as an asset (its shares or business)"))


RELATION_CHOICES = options((name, VALUE_LABELS[name]) for name in RELATION_SCHEMATA)


class RelationForm(FlaskForm):
    """Record a relation between two entities of the case."""

    schema = SelectField(
        _l("Relation"), choices=RELATION_CHOICES, default="Ownership", validate_choice=False
    )
    # Choice validation kept: only entities of the case may be picked.
    source = SelectField(
        _l("From"),
        choices=[],
        description=_l("The owner, director, agent, payer..."),
    )
    target = SelectField(
        _l("To"),
        choices=[],
        description=_l("The asset or company owned, the organisation, the beneficiary..."),
    )
    percentage = StringField(
        _l("Share (%)"),
        render_kw={"inputmode": "decimal", "autocomplete": "off", "class": "num"},
        description=_l('Ownership only: "25", "25.5", a range such as "25-50", or "unknown".'),
    )
    start_date = _date_field(_l("Start date"))
    end_date = _date_field(_l("End date"))
    role = StringField(_l("Role"), render_kw={"maxlength": 200})
    amount = _money_field(_l("Amount"))
    currency = _currency_field()
    date = _date_field(_l("Payment date"))
    source_grade = SelectField(
        _l("Source reliability"), choices=SOURCE_GRADE_CHOICES, validate_choice=False
    )
    info_grade = SelectField(
        _l("Information assessment"), choices=INFO_GRADE_CHOICES, validate_choice=False
    )


# --- decisions -------------------------------------------------------------------------------

ACTION_CHOICES = options((a.value, VALUE_LABELS[a.value]) for a in Action)
CONFISCATION_CHOICES = options(
    [("", "—")] + [(t.value, VALUE_LABELS[t.value]) for t in ConfiscationType]
)
DISPOSAL_CHOICES = options([("", "—")] + [(d.value, VALUE_LABELS[d.value]) for d in DisposalKind])
GROUND_CHOICES = options([("", "—")] + [(g.value, VALUE_LABELS[g.value]) for g in EarlySaleGround])

#: The fields each action adds to the common ones, from the action's model (assettrack.shapes).
DECISION_FIELDS = ACTION_FIELDS


class DecisionActionForm(FlaskForm):
    """Step one of recording a decision: its action (sent by GET, no token)."""

    class Meta:
        csrf = False

    action = SelectField(_l("Action"), choices=ACTION_CHOICES)


class DecisionForm(FlaskForm):
    """A decision on one or more assets of the case; only the chosen action's fields show."""

    asset_ids = SelectMultipleField(_l("Assets"), choices=[], validate_choice=False)
    decided_on = _date_field(_l("Decided on"), _l("The date of the order; not in the future."))
    authority = StringField(
        _l("Issuing authority"),
        render_kw={"maxlength": MAX_LENGTHS["authority"]},
        description=_l("Court, prosecutor, asset recovery office, mayor..."),
    )
    reference = StringField(
        _l("Order reference"), render_kw={"maxlength": MAX_LENGTHS["reference"]}
    )
    legal_basis = StringField(
        _l("Legal basis"), render_kw={"maxlength": MAX_LENGTHS["legal_basis"]}
    )
    # freeze
    urgent = BooleanField(
        _l("Urgent freeze (by an asset recovery office, to be confirmed)"),
        description=_l("It lapses after 7 working days unless a judicial order confirms it."),
    )
    lapse_acknowledged = BooleanField(
        _l("New order after a lapsed urgent freeze (I acknowledge the lapse)"),
        description=_l(
            "Only when the asset's urgent freeze lapsed unconfirmed: this order counts as a "
            "new freezing order, not a confirmation."
        ),
    )
    value_at_freezing = _money_field(_l("Estimated value at freezing"))
    owner_notified_on = _date_field(_l("Owner notified on"))
    # manage
    manager = StringField(
        _l("Manager"),
        render_kw={"maxlength": MAX_LENGTHS["manager"]},
        description=_l("Asset management office or custodian."),
    )
    early_sale = BooleanField(_l("Interlocutory (early) sale"))
    ground = SelectField(
        _l("Ground of the early sale"), choices=GROUND_CHOICES, validate_choice=False
    )
    price = _money_field(_l("Sale price"))
    # confiscate
    confiscation_type = SelectField(
        _l("Type of confiscation"), choices=CONFISCATION_CHOICES, validate_choice=False
    )
    final = BooleanField(_l("Final order (not first instance)"))
    value_at_confiscation = _money_field(_l("Value at confiscation"))
    # dispose
    disposal = SelectField(_l("Disposal"), choices=DISPOSAL_CHOICES, validate_choice=False)
    recipient = StringField(
        _l("Recipient"),
        render_kw={"maxlength": MAX_LENGTHS["recipient"]},
        description=_l("For social re-use, public use or compensation: who receives it."),
    )
    purpose = StringField(
        _l("Purpose"),
        render_kw={"maxlength": MAX_LENGTHS["purpose"]},
        description=_l("For social re-use: what it will be used for."),
    )
    realised_value = _money_field(_l("Realised value"))
    # release
    reason = TextAreaField(
        _l("Reason for release"), render_kw={"rows": 3, "maxlength": MAX_LENGTHS["reason"]}
    )
    returned_on = _date_field(_l("Returned to the owner on"))
    currency = _currency_field()


class AnnulForm(FlaskForm):
    """Annul a decision entered by mistake; the reason is kept."""

    reason = TextAreaField(
        _l("Why is this decision annulled?"), render_kw={"rows": 3, "maxlength": 2000}
    )


class DocumentForm(FlaskForm):
    """Attach the order document (PDF or scan, at most 20 MB)."""

    document = FileField(
        _l("Order document"),
        render_kw={"accept": "application/pdf,image/png,image/jpeg,image/tiff"},
        description=_l("PDF or image (PNG, JPEG, TIFF), at most 20 MB."),
    )


# --- assets ----------------------------------------------------------------------------------


class ValuationForm(FlaskForm):
    """A new valuation of an asset; the latest becomes its estimated value."""

    valued_on = _date_field(_l("Valued on"))
    amount = _money_field(_l("Amount"))
    currency = _currency_field()
    basis = StringField(
        _l("Basis"),
        render_kw={"maxlength": 200},
        description=_l("Expert appraisal, market comparison, register value..."),
    )
    valuer = StringField(_l("Valuer"), render_kw={"maxlength": 200})


class LedgerForm(FlaskForm):
    """A management cost or income booked on the asset."""

    booked_on = _date_field(_l("Booked on"))
    kind = SelectField(
        _l("Kind"),
        choices=options([("cost", VALUE_LABELS["cost"]), ("income", VALUE_LABELS["income"])]),
        validate_choice=False,
    )
    amount = _money_field(_l("Amount"))
    currency = _currency_field()
    category = StringField(
        _l("Category"),
        render_kw={"maxlength": 100},
        description=_l("Storage, insurance, maintenance, rent..."),
    )
    note = TextAreaField(_l("Note"), render_kw={"rows": 2, "maxlength": 2000})


class ManagerForm(FlaskForm):
    """Hand a managed asset to another manager from a date."""

    manager = StringField(_l("New manager"), render_kw={"maxlength": 200})
    assigned_on = _date_field(_l("From"))


# --- dashboard -------------------------------------------------------------------------------


class DashboardForm(FlaskForm):
    """The organisation and year the dashboard shows (sent by GET, no token)."""

    class Meta:
        csrf = False

    organisation = SelectField(_l("Organisation"), choices=[], validate_choice=False)
    year = StringField(
        _l("Year"), render_kw={"inputmode": "numeric", "maxlength": 4, "size": 5, "class": "num"}
    )


IMPORT_FORMAT_CHOICES = options(
    [
        ("ftm", _l("FollowTheMoney (JSON lines or array, plain or gzip)")),
        ("bods", _l("Beneficial Ownership Data Standard 0.4")),
    ]
)


class ImportForm(FlaskForm):
    """Upload an FtM or BODS file into a case; the checks are the import service's."""

    file = FileField(_l("File"))
    format = SelectField(_l("Format"), choices=IMPORT_FORMAT_CHOICES, validate_choice=False)
    skip_invalid = BooleanField(_l("Skip invalid lines and import the rest"))


class RegisterUploadForm(FlaskForm):
    """Upload an asset register (CSV or XLSX) to map its columns."""

    file = FileField(
        _l("Register"),
        render_kw={"accept": ".csv,.txt,.xlsx,text/csv"},
        description=_l("CSV (any delimiter, UTF-8 or Latin-1) or XLSX."),
    )


#: The register fields a column can be mapped to, with their labels.
REGISTER_FIELD_LABELS = {
    "name": _l("Name"),
    "schema": _l("Type"),
    "address": _l("Address"),
    "city": _l("City"),
    "region": _l("Region"),
    "country": _l("Country"),
    "status": _l("Status"),
    "value": _l("Value"),
    "currency": _l("Currency"),
    "external_id": _l("External id"),
}


class RegisterMappingForm(FlaskForm):
    """Which column holds what (``col_<field>`` selects are added by :func:`register_form`),
    how statuses map to stages (``status_<key>``), and whether to save the mapping."""

    saved = SelectField(_l("Saved mapping"), choices=[], validate_choice=False)
    save_as = StringField(_l("Save this mapping as"), validators=[Optional()])
    skip_invalid = BooleanField(_l("Skip invalid rows and import the rest"))


def register_form(fields, statuses, formdata=None):
    """A :class:`RegisterMappingForm` with a column select per field (``fields``: the register
    fields) and a target select per status (``statuses``: ``(key, label)`` pairs)."""

    class Form(RegisterMappingForm):
        pass

    for name in fields:
        setattr(
            Form,
            f"col_{name}",
            SelectField(REGISTER_FIELD_LABELS.get(name, name), choices=[], validate_choice=False),
        )
    for key, status in statuses:
        setattr(
            Form,
            f"status_{key}",
            SelectField(status, choices=[], validate_choice=False),
        )
    return Form(formdata=formdata)


class ChangePasswordForm(FlaskForm):
    """A signed-in user's own password change."""

    current_password = PasswordField(_l("Current password"), validators=[InputRequired()])
    password = PasswordField(_l("New password"))
