"""/api/v1 imports (FtM, BODS, registers); a case leaves as FtM through ``POST /api/v1/reports``."""

import tempfile
from pathlib import Path

from flask import request
from flask import url_for
from flask_login import current_user

from .. import access
from .. import jobs
from ..db import get_session
from ..models import Job
from ..services import imports as import_service
from ..services import registers
from . import bp
from . import json_body
from .openapi import ERRORS
from .openapi import PROBLEM
from .openapi import id_param
from .openapi import json_response
from .openapi import ref
from .openapi import register

_REGISTER_FORMATS = import_service.REGISTER_FORMATS
_MAPPING_KEYS = ("mapping", "columns", "statuses", "types", "defaults")


@bp.post("/cases/<int:case_id>/imports")
def import_file(case_id: int):
    """Take an FtM, BODS or register file and import it into the case in a background job."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    access.require_edit_case(current_user, case)
    upload, fmt = _upload()
    options = {k: request.form[k] for k in _MAPPING_KEYS if request.form.get(k)}
    if fmt in _REGISTER_FORMATS:
        # Checked before the file is saved, so a wrong mapping is a 422 with nothing kept.
        registers.mapping_from_params(db, case.organisation_id, options)
    job = import_service.queue_import(
        db,
        current_user,
        case,
        import_service.save_upload(upload),
        fmt,
        file_name=upload.filename,
        skip_invalid=_flag("skip_invalid"),
        options=options,
    )
    db.commit()
    jobs.start_job(job)
    db.expire_all()
    job = db.get(Job, job.id)
    result = url_for("jobs.download", job_id=job.id) if job.result_path else None
    location = url_for("api.job", job_id=job.id)
    return jobs.job_as_dict(job, result), 202, {"Location": location}


@bp.post("/cases/<int:case_id>/imports/preview")
def preview_register(case_id: int):
    """Read the first rows of a register file as an import would, with their errors."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    access.require_edit_case(current_user, case)
    upload, fmt = _upload(formats=_REGISTER_FORMATS)
    params = {k: request.form[k] for k in _MAPPING_KEYS if request.form.get(k)}
    mapping = registers.mapping_from_params(db, case.organisation_id, params)
    with tempfile.TemporaryDirectory(prefix="assettrack-preview-") as workdir:
        path = Path(workdir) / f"register.{fmt}"
        upload.save(path)
        return registers.preview_register(path, mapping if mapping.columns else None)


@bp.get("/register-mappings")
def list_register_mappings():
    """List the register column mappings saved by the caller's organisation."""
    db = get_session()
    access.require_edit_organisation(current_user, current_user.organisation_id)
    return {
        "items": [m.as_dict() for m in registers.list_mappings(db, current_user.organisation_id)]
    }


@bp.put("/register-mappings/<name>")
def save_register_mapping(name: str):
    """Save (or replace) a register column mapping of the caller's organisation."""
    db = get_session()
    body = json_body()
    mapping = registers.ColumnMapping(
        columns=registers.parse_pairs(body.get("columns")),
        statuses=registers.parse_pairs(body.get("statuses")),
        types=registers.parse_pairs(body.get("types")),
        defaults=registers.parse_pairs(body.get("defaults")),
    )
    registers.save_mapping(db, current_user, name, mapping)
    db.commit()
    return mapping.as_dict()


# --- helpers ---------------------------------------------------------------------------------


def _upload(formats=import_service.IMPORT_FORMATS):
    upload = request.files.get("file")
    return upload, import_service.check_upload(upload, request.form.get("format"), formats)


def _flag(name: str) -> bool:
    return (request.form.get(name) or "").strip().lower() in ("1", "true", "yes", "on")


_MAPPING_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": ["string", "null"]},
        "columns": {
            "type": "object",
            "description": "field (name, schema, address, city, region, country, status, value, "
            "currency, external_id) to the register's column header",
            "additionalProperties": {"type": "string"},
        },
        "statuses": {
            "type": "object",
            "description": "status label to traced, frozen, managed, confiscated, "
            'confiscated_final, disposed, released, or "" (keep the label, no stage)',
            "additionalProperties": {"type": "string"},
        },
        "types": {
            "type": "object",
            "description": "type label to an FtM asset schema",
            "additionalProperties": {"type": "string"},
        },
        "defaults": {
            "type": "object",
            "description": "country, schema, currency, register, manager, decimal",
            "additionalProperties": {"type": "string"},
        },
    },
}
_UPLOAD = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file", "format"],
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "format": {"enum": list(import_service.IMPORT_FORMATS)},
                    "skip_invalid": {
                        "type": "boolean",
                        "description": "leave bad lines out and import the rest",
                    },
                    "mapping": {"type": "string", "description": "a saved register mapping"},
                    "columns": {
                        "type": "string",
                        "description": "field=COLUMN pairs, comma-separated, or a JSON object",
                    },
                    "statuses": {"type": "string", "description": "LABEL=STAGE pairs or JSON"},
                    "types": {"type": "string", "description": "LABEL=SCHEMA pairs or JSON"},
                    "defaults": {"type": "string", "description": "FIELD=VALUE pairs or JSON"},
                },
            }
        }
    },
}

register(
    {
        "/cases/{case_id}/imports": {
            "parameters": [id_param("case_id", "case id")],
            "post": {
                "summary": "Import an FtM (JSON lines or array, plain or gzip), BODS 0.4 or "
                "register (CSV, XLSX) file into the case, as a background job; the job's result "
                "is the import report (JSON). Officers of the owning organisation only",
                "requestBody": _UPLOAD,
                "responses": {
                    "202": {
                        "description": "the job; Location is /api/v1/jobs/{id}",
                        "headers": {"Location": {"schema": {"type": "string"}}},
                        "content": {"application/json": {"schema": ref("Job")}},
                    },
                    **ERRORS,
                },
            },
        },
        "/cases/{case_id}/imports/preview": {
            "parameters": [id_param("case_id", "case id")],
            "post": {
                "summary": "Read the first rows of a register (CSV, XLSX) as an import would, "
                "with the errors of each row and the statuses found; nothing is written. A "
                "file that breaks a limit (docs/operations.md, Limits) is a 422",
                "requestBody": _UPLOAD,
                "responses": {
                    "200": json_response(ref("RegisterPreview"), "the preview"),
                    **ERRORS,
                },
            },
        },
        "/register-mappings": {
            "get": {
                "summary": "The register column mappings saved by the caller's organisation",
                "responses": {
                    "200": json_response(
                        {
                            "type": "object",
                            "properties": {
                                "items": {"type": "array", "items": ref("RegisterMapping")}
                            },
                        },
                        "the mappings",
                    ),
                    **ERRORS,
                },
            },
        },
        "/register-mappings/{name}": {
            "parameters": [
                {
                    "name": "name",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "maxLength": 100},
                }
            ],
            "put": {
                "summary": "Save or replace a register column mapping (officers)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("RegisterMapping")}},
                },
                "responses": {
                    "200": json_response(ref("RegisterMapping"), "the mapping saved"),
                    "409": PROBLEM,
                    **ERRORS,
                },
            },
        },
    },
    {
        "RegisterMapping": _MAPPING_SCHEMA,
        "RegisterPreview": {
            "type": "object",
            "properties": {
                "format": {"enum": ["csv", "xlsx"]},
                "encoding": {"type": ["string", "null"]},
                "delimiter": {"type": ["string", "null"]},
                "headers": {"type": "array", "items": {"type": "string"}},
                "mapping": ref("RegisterMapping"),
                "rows": {"type": "array", "items": {"type": "object"}},
                "statuses": {"type": "array", "items": {"type": "object"}},
                "row_count": {"type": "integer", "description": "the rows read"},
                "complete": {
                    "type": "boolean",
                    "description": "whether the rows read are the whole file; the preview reads "
                    "a bounded head (REGISTER_PREVIEW_ROWS, _BYTES, _SECONDS), cells shown cut "
                    "to REGISTER_PREVIEW_CELL_CHARS",
                },
            },
        },
    },
)
