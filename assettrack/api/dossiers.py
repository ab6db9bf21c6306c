"""``/api/v1/cases/{id}/dossier``: a case's screening dossier with its clock."""

from flask_login import current_user

from .. import access
from ..db import get_session
from ..dossier_shapes import Dossier
from ..dossier_shapes import DossierIn
from ..errors import NotFound
from ..services import dossiers as dossier_service
from ..shapes import component_schemas
from . import bp
from . import json_body
from . import openapi
from .openapi import ERRORS
from .openapi import PROBLEM
from .openapi import id_param
from .openapi import json_response
from .openapi import ref


@bp.get("/cases/<int:case_id>/dossier")
def get_dossier(case_id: int):
    """Return the case's screening dossier and its clock (logged as a consultation)."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    body = dossier_service.read_dossier(db, current_user, case)
    if body is None:
        raise NotFound(f"case {case_id} has no screening dossier")
    db.commit()
    return body


@bp.put("/cases/<int:case_id>/dossier")
def put_dossier(case_id: int):
    """Create the case's screening dossier, or replace it (with the version read)."""
    db = get_session()
    case = access.get_case(db, current_user, case_id)
    created = dossier_service.get_dossier(db, case) is None
    dossier = dossier_service.save_dossier(db, current_user, case, json_body())
    db.commit()
    return dossier_service.dossier_as_dict(db, dossier, case), 201 if created else 200


_PATH = "/cases/{case_id}/dossier"
openapi.register(
    {
        _PATH: {
            "parameters": [id_param("case_id", "case id")],
            "get": {
                "summary": "The case's screening dossier with its clock (logged as a consultation)",
                "responses": {"200": json_response(ref("Dossier"), "the dossier"), **ERRORS},
            },
            "put": {
                "summary": "Create or replace the case's screening dossier (send the version "
                "read to replace it)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("DossierIn")}},
                },
                "responses": {
                    "200": json_response(ref("Dossier"), "replaced"),
                    "201": json_response(ref("Dossier"), "created"),
                    "409": PROBLEM,
                    **ERRORS,
                },
            },
        }
    },
    {
        **component_schemas(DossierIn, mode="validation"),
        **component_schemas(Dossier),
    },
)
