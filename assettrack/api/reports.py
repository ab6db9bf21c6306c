"""/api/v1 reports and exports: issued by POST, their files, verification, withdrawal; H2."""

from flask import current_app
from flask import request
from flask import send_file
from flask import url_for
from flask_login import current_user

from .. import access
from .. import jobs
from .. import shapes
from ..db import get_session
from ..errors import Invalid
from ..errors import Msg
from ..models import Organisation
from ..models import Role
from ..services import issuing
from ..services import reports as report_service
from ..services.cases import org_today
from . import bp
from . import json_body
from . import openapi
from . import query_call


@bp.post("/reports")
def issue_report():
    """Ask for a report or an export; 202 with the pending report and its job."""
    db = get_session()
    report, job = issuing.request_report(
        db, current_user, json_body(), limits=issuing.Limits.from_config(current_app.config)
    )
    db.commit()
    jobs.start_job(job)
    db.refresh(report)
    location = url_for("api.get_report", report_id=report.id)
    return _shape(db, report), 202, {"Location": location}


@bp.get("/reports/partner/preview")
def partner_preview():
    """Say which cases a partner report would hold and why, how many are withheld, and the
    protected names met in other names and texts, each with its pre-filled choice."""
    db = get_session()
    context = query_call(
        report_service.partner_preview,
        db,
        current_user,
        request.args.get("to") or "",
        _period(db),
        language=request.args.get("language") or None,
    )
    db.commit()  # the consultation of the cases read
    return {
        "recipient": context["recipient"]["code"],
        "language": context["language"],
        "tlp": context["tlp"],
        "recipient_only": context["recipient_only"],
        "included": [
            {
                "id": c["id"],
                "reference": c["reference"],
                "tlp": c["tlp"],
                "handling_code": c["handling_code"],
                "reasons": [str(r) for r in c["reasons"]],
            }
            for c in context["cases"]
        ],
        "withheld": [
            {"rule": w["code"], "reason": str(w["reason"]), "count": w["count"]}
            for w in context["withheld"]
        ],
        "withheld_total": context["withheld_total"],
        "mentions": context["mentions"],
    }


@bp.get("/reports/brief/preview")
def brief_preview():
    """Say whether the brief of ``?case`` labels its protected persons and which of their names
    are met in other names and texts, each with its pre-filled choice."""
    db = get_session()
    case = access.get_case(db, current_user, query_call(_case_id, request.args.get("case")))
    preview = query_call(
        report_service.brief_preview,
        db,
        current_user,
        case,
        language=request.args.get("language") or None,
    )
    db.commit()  # the consultation of the case, when its texts were read
    return preview


@bp.get("/reports")
def list_reports():
    """List the reports the caller's organisation issued, or (partners) received."""
    db = get_session()
    if current_user.role == Role.PARTNER.value or request.args.get("received") == "true":
        reports = issuing.received_reports(db, current_user)
    else:
        reports = issuing.issued_reports(db, current_user)
    return {"items": [_shape(db, r) for r in reports]}


@bp.get("/reports/<int:report_id>")
def get_report(report_id: int):
    """Return a report's record: status, recipient, cases, SHA-256 once issued."""
    db = get_session()
    return _shape(db, issuing.get_report(db, current_user, report_id))


@bp.get("/reports/<int:report_id>/file")
def report_file(report_id: int):
    """Return an issued report's file; audited as a consultation."""
    db = get_session()
    path, name, mimetype = issuing.report_for_download(
        db, current_user, report_id, current_app.config["FILES_DIR"]
    )
    db.commit()
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/reports/<int:report_id>/withdraw")
def withdraw_report(report_id: int):
    """Withdraw an issued report, with a reason; the recipient and verification see it."""
    db = get_session()
    report = issuing.withdraw_report(db, current_user, report_id, json_body().get("reason"))
    db.commit()
    return _shape(db, report)


@bp.post("/reports/verify")
def verify_report():
    """Say whether the body is the file of report ``?report`` (by its SHA-256, never parsed)."""
    number = query_call(issuing.parse_report_number, request.args.get("report"))
    digest, _size = issuing.hash_stream(request.stream, current_app.config["VERIFY_MAX_BYTES"])
    db = get_session()
    answer = issuing.verify_report(db, current_user, number, digest)
    db.commit()
    return answer


@bp.get("/cases/<int:case_id>/permissions")
def list_permissions(case_id: int):
    """List the permissions recorded on a case (H2: who may receive it)."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    permissions = report_service.permissions_of(db, case)
    return {"items": [report_service.permission_as_dict(db, p) for p in permissions]}


@bp.post("/cases/<int:case_id>/permissions")
def create_permission(case_id: int):
    """Record the provider's permission to pass an H2 case on to a recipient; audited."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    permission = report_service.record_permission(db, current_user, case, json_body())
    db.commit()
    return report_service.permission_as_dict(db, permission), 201


# --- helpers ---------------------------------------------------------------------------------


def _period(db):
    org = db.get(Organisation, current_user.organisation_id)
    return query_call(
        report_service.parse_period,
        request.args.get("year"),
        request.args.get("since"),
        request.args.get("until"),
        today=org_today(org),
    )


def _case_id(value) -> int:
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18 or not 0 < int(text) < 2**62:
        raise Invalid({"case": Msg("is required: the id of a case")})
    return int(text)


def _shape(db, report) -> dict:
    body = issuing.report_as_dict(db, report)
    body["links"] = {
        "self": url_for("api.get_report", report_id=report.id),
        "file": url_for("api.report_file", report_id=report.id),
        "job": url_for("api.job", job_id=report.job_id) if report.job_id else None,
    }
    return body


_QUERY_PERIOD = [
    {"name": "year", "in": "query", "schema": {"type": "integer"}, "description": "a year"},
    {
        "name": "since",
        "in": "query",
        "schema": {"type": "string", "format": "date"},
        "description": "first day (with until, instead of year)",
    },
    {"name": "until", "in": "query", "schema": {"type": "string", "format": "date"}},
]
_TO = {
    "name": "to",
    "in": "query",
    "required": True,
    "schema": {"type": "string"},
    "description": "UN/LOCODE of the recipient organisation",
}
_LANGUAGE = {"name": "language", "in": "query", "schema": {"enum": ["en", "fr"]}}
_CASE_ID = openapi.id_param("case_id", "case id")


def _schemas() -> dict:
    """The report shapes, generated from shapes.py, with the enumerations the services hold."""
    schemas = shapes.component_schemas(shapes.ReportRequest, mode="validation")
    schemas.update(
        shapes.component_schemas(*(m for m in shapes.REPORTS if m is not shapes.ReportRequest))
    )
    kinds = {"enum": list(issuing.KINDS)}
    schemas["Report"]["properties"]["kind"].update(kinds)
    schemas["ReportRequest"]["properties"]["kind"].update(kinds)
    schemas["MentionPlace"]["properties"]["field"].update(
        {"enum": list(report_service.MENTION_FIELDS)}
    )
    return schemas


_REPORT_ID = openapi.id_param("report_id", "report id")
_REPORT_RESPONSE = openapi.json_response(openapi.ref("Report"), "the report")

openapi.register(
    {
        "/reports": {
            "get": {
                "summary": "Reports issued by the caller's organisation (partners: received)",
                "parameters": [
                    {"name": "received", "in": "query", "schema": {"enum": ["true", "false"]}}
                ],
                "responses": {
                    "200": openapi.json_response(
                        {
                            "type": "object",
                            "properties": {
                                "items": {"type": "array", "items": openapi.ref("Report")}
                            },
                        },
                        "the reports, newest first",
                    ),
                    **openapi.ERRORS,
                },
            },
            "post": {
                "summary": "Issue a report or an export: recorded `pending` with its job; the "
                "disclosure is logged, with the file's SHA-256, when the file is complete",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": openapi.ref("ReportRequest")}},
                },
                "responses": {
                    "202": {
                        **_REPORT_RESPONSE,
                        "description": "the report (`pending` until its job is done); "
                        "Location: the report, `links.job`: the job to poll",
                    },
                    **openapi.ERRORS,
                },
            },
        },
        "/reports/partner/preview": {
            "get": {
                "summary": "Which cases a partner report would include and why; how many "
                "are withheld, by rule (never their content); the protected names met in other "
                "names and texts, to confirm in `redaction` when issuing. Logged as a "
                "consultation of the cases; nothing else is recorded",
                "parameters": [_TO, *_QUERY_PERIOD, _LANGUAGE],
                "responses": {
                    "200": openapi.json_response(openapi.ref("PartnerPreview"), "the preview"),
                    **openapi.ERRORS,
                },
            }
        },
        "/reports/brief/preview": {
            "get": {
                "summary": "Whether the caller's brief of a case labels its protected persons "
                "(made outside the owning organisation) and the protected names met in other "
                "names and texts, to confirm in `redaction` when issuing. Logged as a "
                "consultation of the case when they are shown; nothing else is recorded",
                "parameters": [
                    {
                        "name": "case",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "integer"},
                        "description": "the case id",
                    },
                    _LANGUAGE,
                ],
                "responses": {
                    "200": openapi.json_response(openapi.ref("BriefPreview"), "the preview"),
                    **openapi.ERRORS,
                },
            }
        },
        "/reports/{report_id}": {
            "parameters": [_REPORT_ID],
            "get": {
                "summary": "A report's record (its own organisation's, or received)",
                "responses": {"200": _REPORT_RESPONSE, **openapi.ERRORS},
            },
        },
        "/reports/{report_id}/file": {
            "parameters": [_REPORT_ID],
            "get": {
                "summary": "An issued report's file; logged as a consultation",
                "responses": {
                    "200": {
                        "description": "the file, of the report's `mimetype`",
                        "content": {
                            kind.mimetype: {"schema": {"type": "string", "format": "binary"}}
                            for kind in issuing.KINDS.values()
                        },
                    },
                    "409": openapi.PROBLEM,
                    **openapi.ERRORS,
                },
            },
        },
        "/reports/{report_id}/withdraw": {
            "parameters": [_REPORT_ID],
            "post": {
                "summary": "Withdraw an issued report; the recipient and verification see it",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["reason"],
                                "properties": {"reason": {"type": "string"}},
                            }
                        }
                    },
                },
                "responses": {"200": _REPORT_RESPONSE, "409": openapi.PROBLEM, **openapi.ERRORS},
            },
        },
        "/reports/verify": {
            "post": {
                "summary": "Whether the body is the file of report `report`: compared by "
                "SHA-256 only. Another organisation's report is only confirmed as issued here, "
                "with its day; every lookup is logged",
                "parameters": [
                    {
                        "name": "report",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "the report id printed on the file (R-000042)",
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
                },
                "responses": {
                    "200": openapi.json_response(
                        {
                            "type": "object",
                            "properties": {
                                "issued": {"type": "boolean"},
                                "number": {"type": "string"},
                                "sha256": {"type": "string"},
                                "modified": {
                                    "type": "boolean",
                                    "description": "own organisation's report: the file differs",
                                },
                                "report": {
                                    "type": ["object", "null"],
                                    "description": "the Report (own organisation), or only "
                                    "number, issued_by, issued_on, status, withdrawn_on",
                                },
                            },
                        },
                        "the verdict",
                    ),
                    **openapi.ERRORS,
                },
            }
        },
        "/cases/{case_id}/permissions": {
            "parameters": [_CASE_ID],
            "get": {
                "summary": "Permissions recorded on a case (H2)",
                "responses": {
                    "200": openapi.json_response(
                        {
                            "type": "object",
                            "properties": {
                                "items": {"type": "array", "items": openapi.ref("Permission")}
                            },
                        },
                        "the permissions",
                    ),
                    **openapi.ERRORS,
                },
            },
            "post": {
                "summary": "Record the provider's permission to pass an H2 case on; audited",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["recipient", "granted_by", "granted_on"],
                                "properties": {
                                    "recipient": {
                                        "type": "string",
                                        "description": "UN/LOCODE of the recipient",
                                    },
                                    "granted_by": {
                                        "type": "string",
                                        "description": "name and authority of the provider",
                                    },
                                    "granted_on": {"type": "string", "format": "date"},
                                    "note": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": openapi.json_response(openapi.ref("Permission"), "the permission"),
                    "409": openapi.PROBLEM,
                    **openapi.ERRORS,
                },
            },
        },
    },
    _schemas(),
)
