"""/api/v1 case briefs, partner reports, issued reports, their verification, H2 permissions."""

from io import BytesIO

from flask import current_app
from flask import request
from flask import send_file
from flask import url_for
from flask_login import current_user

from .. import access
from .. import jobs
from ..db import get_session
from ..errors import Invalid
from ..models import Organisation
from ..models import Role
from ..services import reports as report_service
from ..services.cases import org_today
from . import bp
from . import json_body
from . import openapi

_PDF = "application/pdf"


@bp.get("/cases/<int:case_id>/brief.pdf")
def case_brief(case_id: int):
    """Return the PDF brief of a case (``language`` en or fr); logged as a disclosure."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    context = _query(
        report_service.case_brief_context,
        db,
        current_user,
        case,
        language=request.args.get("language") or None,
    )
    issued = report_service.issue_report(
        db, current_user, context, files_dir=current_app.config["FILES_DIR"]
    )
    db.commit()
    return _pdf(issued, db)


@bp.get("/reports/partner.pdf")
def partner_report():
    """Return a partner report from the caller's organisation (202 + job when large)."""
    db = get_session()
    justification = _query(report_service.clean_justification, request.args.get("justification"))
    period = _period(db)
    context = _query(
        report_service.partner_report_context,
        db,
        current_user,
        request.args.get("to") or "",
        period,
        language=request.args.get("language") or None,
        justification=justification,
    )
    files_dir = current_app.config["FILES_DIR"]
    if len(context["cases"]) > report_service.LARGE_REPORT_CASES and not (
        report_service.is_cached(db, current_user, context, files_dir)
    ):
        job = jobs.create_job(
            db, current_user, "partner_report", report_service.job_params(context, period)
        )
        db.commit()
        jobs.start_job(job)
        location = url_for("api.job", job_id=job.id)
        return {"job": job.id, "status": "queued", "location": location}, 202, {
            "Location": location
        }
    issued = report_service.issue_report(db, current_user, context, files_dir=files_dir)
    db.commit()
    return _pdf(issued, db)


@bp.get("/reports/partner/preview")
def partner_preview():
    """Say which cases a partner report would hold and why, and how many are withheld."""
    db = get_session()
    context = _query(
        report_service.partner_report_context,
        db,
        current_user,
        request.args.get("to") or "",
        _period(db),
        language=request.args.get("language") or None,
        with_content=False,
    )
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
    }


@bp.get("/reports")
def list_reports():
    """List the reports the caller's organisation issued, or (partners) received."""
    db = get_session()
    if current_user.role == Role.PARTNER.value or request.args.get("received") == "true":
        reports = report_service.received_reports(db, current_user)
    else:
        reports = report_service.issued_reports(db, current_user)
    return {"items": [report_service.report_as_dict(db, r) for r in reports]}


@bp.get("/reports/<int:report_id>")
def get_report(report_id: int):
    """Return an issued report's record (recipient, cases, SHA-256)."""
    db = get_session()
    return report_service.report_as_dict(
        db, report_service.get_report(db, current_user, report_id)
    )


@bp.get("/reports/<int:report_id>/pdf")
def download_report(report_id: int):
    """Return an issued report's PDF; logged as a disclosure to the caller."""
    db = get_session()
    path, name = report_service.report_for_download(
        db, current_user, report_id, current_app.config["FILES_DIR"]
    )
    db.commit()
    return send_file(path, mimetype=_PDF, as_attachment=True, download_name=name)


@bp.post("/reports/verify")
def verify_report():
    """Say whether the PDF in the body was issued, to whom and when (or was modified)."""
    data = request.get_data(cache=False)
    if not data:
        raise Invalid({"": "send the PDF as the request body (Content-Type: application/pdf)"})
    return report_service.verify_report(get_session(), data)


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
    return _query(
        report_service.parse_period,
        request.args.get("year"),
        request.args.get("since"),
        request.args.get("until"),
        today=org_today(org),
    )


def _query(function, *args, **kwargs):
    """Call a service; its field errors name query parameters (``?to``, ``?year``)."""
    try:
        return function(*args, **kwargs)
    except Invalid as exc:
        raise Invalid({f"?{k}" if k else k: v for k, v in exc.errors.items()}) from None


def _pdf(issued, db):
    response = send_file(
        BytesIO(issued.pdf),
        mimetype=_PDF,
        as_attachment=True,
        download_name=report_service.report_file_name(db, issued.report),
    )
    response.headers["X-Report-Id"] = issued.report.number
    response.headers["X-Report-SHA256"] = issued.report.sha256
    return response


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
_PDF_RESPONSE = {
    "description": "the PDF (headers X-Report-Id and X-Report-SHA256)",
    "content": {_PDF: {"schema": {"type": "string", "format": "binary"}}},
}
_CASE_ID = openapi.id_param("case_id", "case id")
_REPORT_ID = openapi.id_param("report_id", "report id")

openapi.register(
    {
        "/cases/{case_id}/brief.pdf": {
            "parameters": [_CASE_ID],
            "get": {
                "summary": "The PDF brief of a case; logged as a disclosure",
                "parameters": [_LANGUAGE],
                "responses": {"200": _PDF_RESPONSE, **openapi.ERRORS},
            },
        },
        "/reports/partner.pdf": {
            "get": {
                "summary": "A partner report from the caller's organisation to `to`, for a "
                "year or a period; 202 with Location /jobs/{id} when large; the same request "
                "on unchanged data returns the stored PDF",
                "parameters": [
                    _TO,
                    *_QUERY_PERIOD,
                    _LANGUAGE,
                    {
                        "name": "justification",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "why the disclosure is made (422 without)",
                    },
                ],
                "responses": {
                    "200": _PDF_RESPONSE,
                    "202": openapi.json_response(
                        {
                            "type": "object",
                            "properties": {
                                "job": {"type": "integer"},
                                "status": {"type": "string"},
                                "location": {"type": "string"},
                            },
                        },
                        "a background job makes the report; poll its Location",
                    ),
                    **openapi.ERRORS,
                },
            }
        },
        "/reports/partner/preview": {
            "get": {
                "summary": "Which cases a partner report would include and why; how many "
                "are withheld, by rule (never their content)",
                "parameters": [_TO, *_QUERY_PERIOD, _LANGUAGE],
                "responses": {
                    "200": openapi.json_response({"type": "object"}, "the preview"),
                    **openapi.ERRORS,
                },
            }
        },
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
            }
        },
        "/reports/{report_id}": {
            "parameters": [_REPORT_ID],
            "get": {
                "summary": "An issued report's record",
                "responses": {
                    "200": openapi.json_response(openapi.ref("Report"), "the report"),
                    **openapi.ERRORS,
                },
            },
        },
        "/reports/{report_id}/pdf": {
            "parameters": [_REPORT_ID],
            "get": {
                "summary": "An issued report's PDF; logged as a disclosure",
                "responses": {"200": _PDF_RESPONSE, **openapi.ERRORS},
            },
        },
        "/reports/verify": {
            "post": {
                "summary": "Whether a PDF (the body) was issued, to whom and when",
                "requestBody": {
                    "required": True,
                    "content": {_PDF: {"schema": {"type": "string", "format": "binary"}}},
                },
                "responses": {
                    "200": openapi.json_response(
                        {
                            "type": "object",
                            "properties": {
                                "issued": {"type": "boolean"},
                                "sha256": {"type": "string"},
                                "report": openapi.ref("Report"),
                                "claims": {"type": ["object", "null"]},
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
    {
        "Report": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "number": {"type": "string", "description": "the report id printed on pages"},
                "kind": {"enum": ["case_brief", "partner"]},
                "issuer": {"type": "string"},
                "recipient": {"type": "string"},
                "period_start": {"type": ["string", "null"], "format": "date"},
                "period_end": {"type": ["string", "null"], "format": "date"},
                "language": {"enum": ["en", "fr"]},
                "tlp": {"type": "string"},
                "cases": {"type": "array", "items": {"type": "string"}},
                "sha256": {"type": "string"},
                "size": {"type": "integer"},
                "created_by": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"},
            },
        },
        "Permission": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "case_id": {"type": "integer"},
                "recipient": {"type": "string"},
                "granted_by": {"type": "string"},
                "granted_on": {"type": "string", "format": "date"},
                "note": {"type": ["string", "null"]},
                "entered_by": {"type": ["string", "null"]},
                "entered_at": {"type": "string", "format": "date-time"},
            },
        },
    },
)
