"""Issuing reports and exports: asked by POST, made by a job, verified by id and SHA-256.

Every file that leaves the installation — a case brief, a partner report, a case as FtM,
GEXF or GraphML, the network diagram, the open-data CSV — is a :class:`~assettrack.models.Report`:

1. :func:`request_report` checks what is asked (kind, case or recipient and period, language,
   justification, redaction choices) and the size limits, and records a ``pending`` report
   and its job. Nothing is disclosed yet; a request that is refused records nothing;
2. the job (:func:`_issue_job`) builds the content (``services.reports`` for the PDFs, under
   the issuing officer's redaction choices; the export services for the rest), writes the file
   and only then logs the disclosure, with the file's SHA-256 and, for a PDF, the choice
   confirmed for every protected name it met (``redaction_choice``, by report);
3. the file is fetched by :func:`report_for_download` (a consultation, audited);
4. :func:`verify_report` answers, for a report id and the SHA-256 of some bytes, whether they
   are that report — hashing a stream up to a size limit, never parsing the file. A user of
   the issuing (or, for a partner report, receiving) organisation learns the report's record;
   anyone else only that it was issued by this installation and when;
5. :func:`withdraw_report`: the issuer withdraws a report, with a reason; recipients and
   verification say so.
"""

import hashlib
import io
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlmodel import Session

from .. import access
from .. import audit
from ..domain import mentions
from ..errors import AccessDenied
from ..errors import Conflict
from ..errors import Invalid
from ..errors import Msg
from ..errors import NotFound
from ..jobs import create_job
from ..jobs import handler
from ..models import TLP
from ..models import Case
from ..models import CaseEntity
from ..models import Job
from ..models import Organisation
from ..models import Report
from ..models import Role
from ..models import User
from ..models import utcnow
from . import notifications
from . import reports as content
from . import sharing
from .cases import org_today

__all__ = [
    "KINDS",
    "Kind",
    "Limits",
    "request_report",
    "make_file",
    "report_as_dict",
    "get_report",
    "received_reports",
    "issued_reports",
    "report_for_download",
    "report_file_name",
    "parse_report_number",
    "hash_stream",
    "verify_report",
    "verify_by_hash",
    "withdraw_report",
]


@dataclass(frozen=True)
class Kind:
    """What a kind of report is about (``case``, ``partner`` or ``organisation``) and its file."""

    about: str
    mimetype: str
    extension: str
    label: str


#: Every kind that can be issued; the one declaration the API, the forms and the spec read.
KINDS = {
    "case_brief": Kind("case", "application/pdf", "pdf", "Case brief (PDF)"),
    "partner": Kind("partner", "application/pdf", "pdf", "Partner report (PDF)"),
    "ftm": Kind("case", "application/x-ndjson", "ftm.jsonl", "FollowTheMoney (JSON lines)"),
    "gexf": Kind("case", "application/gexf+xml", "gexf", "Network as GEXF (Gephi)"),
    "graphml": Kind("case", "application/graphml+xml", "graphml", "Network as GraphML"),
    "diagram": Kind("case", "image/svg+xml", "svg", "Network diagram (SVG)"),
    "open_data": Kind("organisation", "text/csv", "csv", "Open data (CSV)"),
}
#: Exports that can carry personal data: each asks for a justification (the PDFs' own rule is
#: ``partner``'s). They pass ``sharing.export_withheld`` and label for anyone but the owner.
_PERSONAL_EXPORTS = ("ftm", "gexf", "graphml", "diagram")
#: Kinds whose network may reach one link out of the case (``expand``).
_EXPANDABLE = ("gexf", "graphml", "diagram")
#: The PDF kinds: built by ``services.reports``, under the issuing officer's redaction choices.
_PDF_KINDS = ("case_brief", "partner")
#: Redaction choices (mention key → keep, mask, withhold) are stored as given, up to this size.
_REDACTION_MAX = 100_000
_CHOICES = (mentions.KEEP, mentions.MASK, mentions.WITHHOLD)
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """The size limits of reports (settings ``REPORT_MAX_ENTITIES``, ``REPORT_ANNEX_ROWS``)."""

    max_entities: int = 20_000
    annex_rows: int = 1_000

    @classmethod
    def from_config(cls, config) -> "Limits":
        return cls(int(config["REPORT_MAX_ENTITIES"]), int(config["REPORT_ANNEX_ROWS"]))


# --- asking for a report -----------------------------------------------------------------------


def request_report(
    session: Session, user: User, data: dict, *, limits: Limits = Limits(), queue: bool = True
) -> tuple[Report, Job | None]:
    """Record a ``pending`` report and the job that makes it; nothing is disclosed yet.

    ``data``: ``kind`` (one of :data:`KINDS`); ``case`` (its id) for a case's brief and
    exports; ``to`` (UN/LOCODE) and ``year`` or ``since``/``until`` for a partner report;
    ``organisation`` (code, default the user's) for open data; optional ``language``,
    ``justification`` (required for a partner report), ``redaction`` (the issuing officer's
    choices about the protected names the preview flagged: mention key → ``keep``, ``mask`` or
    ``withhold``; a mention without one takes its default; stored with the report) and
    ``expand`` (network kinds). Raises Invalid (nothing recorded) for bad input — a choice for
    no mention of the report or not allowed for it names ``/redaction/<key>`` —, an empty
    partner report or one above ``limits.max_entities``. ``queue=False`` (the command line)
    records no job: the caller runs :func:`make_file`.
    """
    if not isinstance(data, dict):
        raise Invalid({"": Msg("expected an object")})
    kind = data.get("kind")
    if kind not in KINDS:
        raise Invalid({"kind": Msg("must be one of {choices}", choices=", ".join(KINDS))})
    errors: dict = {}
    required = kind == "partner" or kind in _PERSONAL_EXPORTS
    justification = _justification(errors, data.get("justification"), required=required)
    redaction = _redaction(errors, data.get("redaction"))
    expand = data.get("expand", False)
    if not isinstance(expand, bool) or (expand and kind not in _EXPANDABLE):
        errors["expand"] = Msg("must be true or false, and only for a network export")
    language = data.get("language") or None
    if language is not None and language not in content.LANGUAGES:
        errors["language"] = Msg("must be one of {choices}", choices="en, fr")
    if errors:
        raise Invalid(errors)
    about = KINDS[kind].about
    if about == "case":
        fields = _case_request(session, user, kind, data, language, limits)
    elif about == "partner":
        fields = _partner_request(session, user, data, language, justification, limits)
    else:
        fields = _organisation_request(session, user, data, language)
    if redaction and kind in _PDF_KINDS:
        # Each choice must fit a mention of the report as it would be built now.
        found = _document(
            session, user, kind, fields["params"], language=fields["language"], render=False
        ).mentions
        content.check_choices(found, redaction)
    fields["params"]["expand"] = expand
    report = Report(
        kind=kind,
        status="pending",
        justification=justification,
        redaction=json.dumps(redaction, sort_keys=True) if redaction is not None else None,
        created_by_id=user.id,
        created_at=utcnow(),
        **{**fields, "params": json.dumps(fields["params"], sort_keys=True, default=str)},
    )
    session.add(report)
    session.flush()
    if not queue:
        return report, None
    job = create_job(session, user, "report", {"report_id": report.id})
    report.job_id = job.id
    session.add(report)
    session.flush()
    return report, job


def _case_request(session, user, kind, data, language, limits) -> dict:
    case_id = data.get("case")
    if isinstance(case_id, str) and case_id.strip().isdigit():
        case_id = int(case_id)
    if not isinstance(case_id, int) or isinstance(case_id, bool) or not 0 < case_id < 2**62:
        raise Invalid({"case": Msg("is required: the id of a case")})
    case = access.get_case(session, user, case_id)
    _check_size(session, [case.id], limits, field="case")
    why = sharing.export_withheld(session, user, case) if kind in _PERSONAL_EXPORTS else None
    if why:
        raise Invalid({"case": sharing.WITHHELD_REASONS[why]})
    org = session.get(Organisation, case.organisation_id)
    home = session.get(Organisation, user.organisation_id)
    return {
        "issuing_organisation_id": case.organisation_id,
        "recipient_organisation_id": user.organisation_id,
        "language": content.pick_language(
            language, user.language, content.default_language(org), content.default_language(home)
        ),
        "tlp": case.tlp,
        "case_ids": json.dumps([case.id]),
        "params": {"case": case.id},
    }


def _partner_request(session, user, data, language, justification, limits) -> dict:
    org = session.get(Organisation, user.organisation_id)
    period = content.parse_period(
        data.get("year"), data.get("since"), data.get("until"), today=org_today(org)
    )
    preview = content.partner_report_context(
        session, user, data.get("to") or "", period, language=language, with_content=False
    )
    if not preview["cases"]:
        raise Invalid(
            {
                "to": Msg(
                    "no case of {issuer} in this period may go to {code} or concerns it: "
                    "there is nothing to report",
                    issuer=preview["issuer"]["code"],
                    code=preview["recipient"]["code"],
                )
            }
        )
    _check_size(session, preview["case_ids"], limits, field="to")
    return {
        "issuing_organisation_id": org.id,
        "recipient_organisation_id": preview["recipient"]["id"],
        "period_start": period.start,
        "period_end": period.end,
        "language": preview["language"],
        "tlp": preview["tlp"],
        "case_ids": json.dumps(preview["case_ids"]),
        "params": {
            "to": preview["recipient"]["code"],
            "year": period.year,
            "since": period.start.isoformat(),
            "until": period.end.isoformat(),
        },
    }


def _organisation_request(session, user, data, language) -> dict:
    code = data.get("organisation") or None
    if code is None:
        org = session.get(Organisation, user.organisation_id)
    elif isinstance(code, str):
        org = session.scalar(select(Organisation).where(Organisation.code == code.strip().upper()))
    else:
        org = None
    if org is None or org.id not in access.readable_organisation_ids(session, user):
        raise Invalid({"organisation": Msg("unknown organisation {code}", code=str(code or ""))})
    return {
        "issuing_organisation_id": org.id,
        "recipient_organisation_id": user.organisation_id,
        "language": content.pick_language(language, user.language),
        "tlp": TLP.CLEAR.value,
        "case_ids": "[]",
        "params": {"organisation": org.code},
    }


def _check_size(session, case_ids, limits: Limits, *, field: str) -> None:
    """Refuse, before anything is recorded, a report of more entities than the limit."""
    count = session.scalar(
        select(func.count()).select_from(CaseEntity).where(CaseEntity.case_id.in_(case_ids))
    )
    if count > limits.max_entities:
        raise Invalid(
            {
                field: Msg(
                    "holds {count} entities; a report holds at most {limit}: export the case "
                    "in parts or ask the administrator to raise REPORT_MAX_ENTITIES",
                    count=count,
                    limit=limits.max_entities,
                )
            }
        )


def _justification(errors, text, *, required: bool) -> str | None:
    if not required and (text is None or (isinstance(text, str) and not text.strip())):
        return None
    try:
        return content.clean_justification(text)
    except Invalid as exc:
        errors.update(exc.errors)
        return None


def _redaction(errors, choices) -> dict | None:
    """The redaction choices asked for: an object of mention key → keep, mask or withhold."""
    if choices is None:
        return None
    if not isinstance(choices, dict):
        errors["redaction"] = Msg(
            "must be an object: the key of each flagged name or text → keep, mask or withhold"
        )
        return None
    if len(json.dumps(choices, default=str)) > _REDACTION_MAX:
        errors["redaction"] = Msg("is limited to {limit} characters", limit=_REDACTION_MAX)
        return None
    bad = {
        f"redaction.{key}": Msg("must be keep, mask or withhold")
        for key, choice in choices.items()
        if not isinstance(choice, str) or choice not in _CHOICES
    }
    if bad:
        errors.update(bad)
        return None
    return choices


# --- the job that makes the file ---------------------------------------------------------------


@handler("report")
def _issue_job(session: Session, job, user: User, params: dict, progress):
    """Make a pending report's file (the job of :func:`request_report`)."""
    from flask import current_app

    report = session.get(Report, params["report_id"])
    if report is None or report.status != "pending":
        return None
    make_file(
        session,
        user,
        report,
        files_dir=current_app.config["FILES_DIR"],
        limits=Limits.from_config(current_app.config),
        progress=progress,
    )
    return None


def make_file(
    session: Session, user: User, report: Report, *, files_dir: str, limits: Limits, progress=None
) -> bytes:
    """Make a pending report's file, record it as issued and log the disclosure; its bytes."""
    if report.status != "pending" or report.created_by_id != user.id:
        raise Conflict(f"report {report.number} is {report.status}")
    progress = progress or (lambda _percent, _message=None: None)
    progress(5, "collecting the content")
    # No progress after this point: its own transaction would wait on this one's writes.
    data, context = _produce(session, user, report, limits)
    # A PDF's context carries the mentions its choices were confirmed for: recorded below.
    found = context.pop("mentions", None) if context is not None else None
    digest = hashlib.sha256(data).hexdigest()
    relative = Path("reports") / f"{report.number}.{KINDS[report.kind].extension}"
    path = Path(files_dir) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    part.replace(path)
    report.sha256 = digest
    report.size = len(data)
    report.file_path = str(relative)
    report.mimetype = KINDS[report.kind].mimetype
    report.status = "issued"
    report.issued_at = utcnow()
    if context is not None:
        report.tlp = context["tlp"]
        report.case_ids = json.dumps(context["case_ids"])
        report.context_hash = content.context_hash(context)
    session.add(report)
    session.flush()
    chosen = None
    if found is not None:
        rows = []
        if found:
            rows = sharing.record_choices(
                session, user, report.id, context["case_ids"], found, _choices(report)
            )
        chosen = {row.mention_key: row.choice for row in rows}
    _record_disclosure(session, user, report, context, chosen)
    if report.kind == "partner":
        notifications.tell_report_addressed(session, report)
    return data


def _produce(session, user, report: Report, limits: Limits) -> tuple[bytes, dict | None]:
    """The bytes of a report's file and, for a PDF, the context it was rendered from."""
    params = json.loads(report.params)
    kind = report.kind
    if kind == "partner":
        return _pdf(session, user, report, params, limits)
    if kind == "open_data":
        from . import stats

        code = params["organisation"]
        org = session.scalar(select(Organisation).where(Organisation.code == code))
        if org.id not in access.readable_organisation_ids(session, user):
            raise NotFound(f"organisation {org.code} not found")
        return stats.open_data_csv(session, org.id).encode(), None
    case = access.get_case(session, user, params["case"])
    _check_size(session, [case.id], limits, field="case")
    if kind == "case_brief":
        return _pdf(session, user, report, params, limits)
    translate = _translator(report.language)
    if kind == "ftm":
        from . import imports

        with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as buffer:
            text = io.TextIOWrapper(buffer, encoding="utf-8", newline="\n")
            imports.export_ftm(session, user, case, text, audited=False, translate=translate)
            text.flush()
            text.detach()
            buffer.seek(0)
            return buffer.read(), None
    from . import network

    if kind == "diagram":
        svg = network.case_graph_svg(
            session,
            user,
            case.id,
            expand=params.get("expand", False),
            translate=translate,
            audited=False,
        )
        return svg.encode(), None
    data, _name, _mimetype = network.export_case_graph(
        session,
        user,
        case.id,
        kind,
        expand=params.get("expand", False),
        justification=report.justification,
        audited=False,
        translate=translate,
    )
    return data if isinstance(data, bytes) else data.encode(), None


def _translator(language: str):
    """gettext of the package's catalogue for ``language`` (labels written into a file)."""
    from babel.support import Translations

    folder = Path(__file__).resolve().parent.parent / "translations"
    return Translations.load(str(folder), [language], domain="messages").gettext


def _pdf(session, user, report: Report, params: dict, limits: Limits) -> tuple[bytes, dict]:
    """A brief or a partner report, built under its redaction choices, and its context (with
    ``mentions``: every mention of the report, for :func:`sharing.record_choices`)."""
    choices = _choices(report)
    document = _document(
        session,
        user,
        report.kind,
        params,
        language=report.language,
        justification=report.justification,
        choices=choices,
    )
    context = document.context
    if report.kind == "partner" and not context["cases"]:
        raise Conflict("no case may go to the recipient any more: nothing was issued")
    found = document.mentions
    if mentions.WITHHOLD in choices.values():
        # What a withheld entity holds was not built, nor its mentions: take them all as the
        # preview found them (no choice withholds by default).
        found = _document(
            session, user, report.kind, params, language=report.language, render=False
        ).mentions
    if mentions.invalid_choices(found, choices):
        raise Conflict(
            f"the names or texts of report {report.number} changed after its redaction "
            "choices were made: nothing was issued; preview the report again and ask anew"
        )
    return _render(context, report, limits), {**context, "mentions": found}


def _document(
    session, user, kind, params, *, language, justification=None, choices=None, render=True
):
    """Build the content of a brief or a partner report from its request's parameters."""
    if kind == "partner":
        org = session.get(Organisation, user.organisation_id)
        period = content.parse_period(
            params.get("year"),
            None if params.get("year") else params.get("since"),
            None if params.get("year") else params.get("until"),
            today=org_today(org),
        )
        return content.partner_report_document(
            session,
            user,
            params["to"],
            period,
            language=language,
            justification=justification,
            choices=choices,
            render=render,
        )
    case = access.get_case(session, user, params["case"])
    return content.case_brief_document(
        session, user, case, language=language, choices=choices, render=render
    )


def _choices(report: Report) -> dict:
    """The redaction choices stored with a report (none: every mention takes its default)."""
    stored = json.loads(report.redaction) if report.redaction else None
    return stored if isinstance(stored, dict) else {}


def _render(context: dict, report: Report, limits: Limits) -> bytes:
    from .pdf import render_report

    return render_report(
        context,
        number=report.number,
        generated_at=report.created_at,
        annex_rows=limits.annex_rows,
    )


def _record_disclosure(
    session, user, report: Report, context: dict | None, chosen: dict | None = None
) -> None:
    recipient = session.get(Organisation, report.recipient_organisation_id)
    details = {
        "report": report.number,
        "kind": report.kind,
        "recipient": recipient.code,
        "recipient_name": recipient.name,
        "cases": _references(session, json.loads(report.case_ids)),
        "sha256": report.sha256,
        "size": report.size,
        "language": report.language,
        "tlp": report.tlp,
    }
    if report.kind != "partner":
        details["recipient_user"] = user.email
    if report.period_start:
        details["period"] = [report.period_start.isoformat(), report.period_end.isoformat()]
    if context and context.get("withheld_total"):
        details["withheld"] = {w["code"]: w["count"] for w in context["withheld"]}
    if chosen is not None:  # a PDF: the choice confirmed for every mention, defaults included
        details["redaction"] = chosen
    elif report.redaction:
        details["redaction"] = json.loads(report.redaction)
    audit.record(
        session,
        user,
        audit.Action.DISCLOSE,
        "report",
        report.id,
        details=details,
        justification=report.justification or f"{report.kind} for the requesting user",
        organisation_id=report.issuing_organisation_id,
    )


# --- reading reports ---------------------------------------------------------------------------


def report_as_dict(session: Session, report: Report) -> dict:
    """Return the public shape of a report (for those who may see it)."""
    issuer = session.get(Organisation, report.issuing_organisation_id)
    recipient = session.get(Organisation, report.recipient_organisation_id)
    author = session.get(User, report.created_by_id)
    withdrawn_by = session.get(User, report.withdrawn_by_id) if report.withdrawn_by_id else None
    job = session.get(Job, report.job_id) if report.job_id else None
    status = report.status
    if status == "pending" and job is not None and job.status == "failed":
        status = "failed"
    return {
        "id": report.id,
        "number": report.number,
        "kind": report.kind,
        "status": status,
        "error": job.error if status == "failed" else None,
        "job": report.job_id,
        "issuer": issuer.code,
        "issuer_name": issuer.name,
        "recipient": recipient.code,
        "recipient_name": recipient.name,
        "period_start": report.period_start.isoformat() if report.period_start else None,
        "period_end": report.period_end.isoformat() if report.period_end else None,
        "language": report.language,
        "tlp": report.tlp,
        "cases": _references(session, json.loads(report.case_ids)),
        "mimetype": report.mimetype or KINDS[report.kind].mimetype,
        "sha256": report.sha256,
        "size": report.size,
        "created_by": author.name if author else None,
        "created_at": report.created_at.isoformat(),
        "issued_at": report.issued_at.isoformat() if report.issued_at else None,
        "withdrawn_at": report.withdrawn_at.isoformat() if report.withdrawn_at else None,
        "withdrawn_by": withdrawn_by.name if withdrawn_by else None,
        "withdrawal_reason": report.withdrawal_reason,
    }


def get_report(session: Session, user: User, report_id: int) -> Report:
    """Return a report the user may see, else NotFound (the same answer as for none)."""
    report = session.get(Report, report_id) if 0 < report_id < 2**62 else None
    if report is None or not _may_see(user, report):
        raise NotFound(f"report {report_id} not found")
    return report


def received_reports(session: Session, user: User) -> list[Report]:
    """Return the partner reports addressed to the user's organisation, newest first."""
    if not user.is_active or user.role not in _RECEIVERS:
        raise AccessDenied("your role does not receive reports")
    return list(
        session.scalars(
            select(Report)
            .where(
                Report.kind == "partner",
                Report.recipient_organisation_id == user.organisation_id,
                Report.status != "pending",
            )
            .order_by(Report.created_at.desc(), Report.id.desc())
        )
    )


def issued_reports(session: Session, user: User, *, limit: int = 100) -> list[Report]:
    """Return the reports of the user's organisation: its partner reports and the user's own."""
    if not access.can_read_cases(user):
        raise AccessDenied("only officers and liaisons issue reports")
    return list(
        session.scalars(
            select(Report)
            .where(
                or_(
                    Report.created_by_id == user.id,
                    (Report.kind == "partner")
                    & (Report.issuing_organisation_id == user.organisation_id),
                )
            )
            .order_by(Report.created_at.desc(), Report.id.desc())
            .limit(limit)
        )
    )


def report_for_download(
    session: Session, user: User, report_id: int, files_dir: str
) -> tuple[Path, str, str]:
    """Return ``(path, file name, mimetype)`` of an issued report; audited as a consultation.

    Conflict while the report is pending or once it is withdrawn; NotFound when the user
    may not see it or the file is missing.
    """
    report = get_report(session, user, report_id)
    if report.status == "pending":
        job = session.get(Job, report.job_id) if report.job_id else None
        if job is not None and job.status == "failed":
            raise Conflict(f"report {report.number} failed: nothing was issued ({job.error})")
        raise Conflict(f"report {report.number} is not ready yet: its job has not finished")
    if report.status == "withdrawn":
        raise Conflict(
            f"report {report.number} was withdrawn on {report.withdrawn_at.date().isoformat()}: "
            f"{report.withdrawal_reason}"
        )
    root = Path(files_dir).resolve()
    path = (root / (report.file_path or "")).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFound(f"the file of report {report_id} is missing")
    audit.record(
        session,
        user,
        audit.Action.READ,
        "report",
        report.id,
        details={"report": report.number, "download": True, "sha256": report.sha256},
        organisation_id=report.issuing_organisation_id,
    )
    return path, report_file_name(session, report), report.mimetype or KINDS[report.kind].mimetype


def report_file_name(session: Session, report: Report) -> str:
    """Return the file name a report is downloaded as (its id, kind and parties)."""
    issuer = session.get(Organisation, report.issuing_organisation_id)
    extension = KINDS[report.kind].extension
    if report.kind == "partner":
        recipient = session.get(Organisation, report.recipient_organisation_id)
        return f"{report.number}-partner-{issuer.code}-to-{recipient.code}.{extension}"
    ids = json.loads(report.case_ids)
    case = session.get(Case, ids[0]) if ids else None
    subject = case.reference if case else issuer.code
    kind = "brief" if report.kind == "case_brief" else report.kind.replace("_", "-")
    return f"{report.number}-{kind}-{subject}.{extension}"


# --- verification ------------------------------------------------------------------------------


def parse_report_number(text) -> int:
    """Return the id of a report written ``R-000042`` or ``42``; Invalid otherwise.

    >>> parse_report_number(" r-000042 "), parse_report_number(7)
    (42, 7)
    """
    value = str(text if text is not None else "").strip().upper().removeprefix("R-")
    if not (value.isascii() and value.isdigit()) or len(value) > 12 or int(value) == 0:
        raise Invalid({"report": Msg("is required: the report id printed on its pages (R-000042)")})
    return int(value)


def hash_stream(stream, max_bytes: int) -> tuple[str, int]:
    """Return the SHA-256 and size of a stream read in chunks; Invalid past ``max_bytes``.

    Nothing is kept but the hash: memory stays one chunk whatever the stream holds.

    >>> hash_stream(io.BytesIO(b"abc"), 10)[0][:12], hash_stream(io.BytesIO(b"abc"), 10)[1]
    ('ba7816bf8f01', 3)
    """
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise Invalid(
                {"file": Msg("is larger than {limit} bytes: no report here is", limit=max_bytes)}
            )
        digest.update(chunk)
    if size == 0:
        raise Invalid({"file": Msg("is empty: send the file to verify")})
    return digest.hexdigest(), size


def verify_report(session: Session, user: User, number: int, digest: str) -> dict:
    """Say whether the file with SHA-256 ``digest`` is report ``number``; the lookup is audited.

    A user of the issuing organisation (or of the recipient of a partner report) gets the
    report's record, and ``modified`` when the file differs. Anyone else learns only
    ``issued`` and, when the file is the report, that this installation issued it, on which
    day, and whether it was withdrawn — never the recipient, cases, marking, author or hash;
    a wrong hash and an unknown id give the same answer.
    """
    report = session.get(Report, number) if 0 < number < 2**62 else None
    if report is not None and report.status == "pending":
        report = None
    matches = report is not None and report.sha256 == digest
    knows = report is not None and _may_know(user, report)
    audit.record(
        session,
        user,
        audit.Action.READ,
        "report",
        number,
        details={"verify": True, "sha256": digest, "matches": matches, "full": knows},
        organisation_id=report.issuing_organisation_id if report else user.organisation_id,
    )
    answer = {"issued": matches, "sha256": digest, "number": f"R-{number:06d}"}
    if knows:
        return {**answer, "modified": not matches, "report": report_as_dict(session, report)}
    if not matches:
        return {**answer, "report": None}
    return {
        **answer,
        "report": {
            "number": report.number,
            "issued_by": "this installation",
            "issued_on": (report.issued_at or report.created_at).date().isoformat(),
            "status": report.status,
            "withdrawn_on": report.withdrawn_at.date().isoformat() if report.withdrawn_at else None,
        },
    }


def verify_by_hash(session: Session, digest: str) -> Report | None:
    """The issued report with this SHA-256, for the operator's command (no user, no scope)."""
    return session.scalar(
        select(Report).where(Report.sha256 == digest, Report.status != "pending").limit(1)
    )


# --- withdrawal --------------------------------------------------------------------------------


def withdraw_report(session: Session, user: User, report_id: int, reason) -> Report:
    """Withdraw an issued report with a reason; the recipient and verification see it; audited.

    Officers of the issuing organisation withdraw its partner reports; anyone their own
    briefs and exports.
    """
    report = get_report(session, user, report_id)
    may = report.created_by_id == user.id or (
        report.kind == "partner"
        and report.issuing_organisation_id == user.organisation_id
        and user.role == Role.OFFICER.value
    )
    if not may:
        raise AccessDenied("only the issuing organisation's officers withdraw a report")
    if report.status != "issued":
        raise Conflict(
            f"report {report.number} is {report.status}: only an issued report is withdrawn"
        )
    errors: dict = {}
    reason = _justification(errors, reason, required=True)
    if errors:
        raise Invalid({"reason": Msg("is required: say why the report is withdrawn")})
    report.status = "withdrawn"
    report.withdrawn_at = utcnow()
    report.withdrawn_by_id = user.id
    report.withdrawal_reason = reason
    session.add(report)
    session.flush()
    recipient = session.get(Organisation, report.recipient_organisation_id)
    audit.record(
        session,
        user,
        audit.Action.UPDATE,
        "report",
        report.id,
        details={
            "withdrawn": report.number,
            "recipient": recipient.code,
            "sha256": report.sha256,
            "reason": reason,
        },
        justification=reason,
        organisation_id=report.issuing_organisation_id,
    )
    return report


# --- helpers -----------------------------------------------------------------------------------

_RECEIVERS = (Role.PARTNER.value, Role.OFFICER.value, Role.LIAISON.value)


def _may_see(user: User, report: Report) -> bool:
    """Briefs and exports go to the user who asked; partner reports to both organisations."""
    if not user.is_active:
        return False
    if report.kind != "partner":
        return report.created_by_id == user.id
    if report.recipient_organisation_id == user.organisation_id and report.status != "pending":
        return user.role in _RECEIVERS
    return report.issuing_organisation_id == user.organisation_id and access.can_read_cases(user)


def _may_know(user: User, report: Report) -> bool:
    """Whether verification may tell ``user`` a report's record: its own organisation's."""
    if not user.is_active:
        return False
    if report.issuing_organisation_id == user.organisation_id:
        return True
    return report.kind == "partner" and report.recipient_organisation_id == user.organisation_id


def _references(session, case_ids: list[int]) -> list[str]:
    references = dict(
        session.execute(select(Case.id, Case.reference).where(Case.id.in_(case_ids or [-1]))).all()
    )
    return [references.get(i, f"#{i}") for i in case_ids]
