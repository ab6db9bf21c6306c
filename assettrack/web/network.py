"""Network pages: the interactive entity graph of a case, or around one entity.

The pages are shells: ``js/network.js`` fetches the graph, the owners and the paths from the JSON
API (``/api/v1/...``, authenticated by the session cookie), and the API logs each consultation.
The page itself only checks that the case or entity is within the user's read scope (404 when
not) and hands the API addresses and the translated words to the script in ``data-`` attributes.
"""

from flask import Blueprint
from flask import render_template
from flask import request
from flask_babel import gettext
from flask_login import current_user

from .. import access
from ..db import get_session
from ..domain import schema as ftm_schema
from ..i18n import ftm_label
from ..models.entities import CASE_ROLES
from ..services import entities as entity_service
from . import case_readers_only

bp = Blueprint("network", __name__)

#: The entity schemata the legend and the script know, in the legend's order; any other schema
#: is drawn as "Other".
LEGEND_SCHEMATA = (
    "Person",
    "Company",
    "Organization",
    "LegalEntity",
    "Address",
    "Vessel",
    "RealEstate",
    "BankAccount",
    "Vehicle",
    "Airplane",
    "Security",
    "CryptoWallet",
    "Asset",
)


case_readers_only(bp)


@bp.route("/cases/<int:case_id>/network")
def case(case_id: int):
    """Show the network of a case's entities."""
    case = access.get_case(get_session(), current_user, case_id)
    return render_template(
        "network/case.html",
        case=case,
        graph_url=f"{_api()}/cases/{case.id}/network",
        **_common(),
    )


@bp.route("/entities/<int:entity_id>/network")
def entity(entity_id: int):
    """Show the network around one entity."""
    # The API call that fetches the network logs the consultation; the shell does not log twice.
    entity = entity_service.get_entity(get_session(), current_user, entity_id, audit_read=False)
    return render_template(
        "network/entity.html",
        entity=entity,
        entity_schema_label=_schema_label(entity.schema_name),
        graph_url=f"{_api()}/entities/{entity.id}/network?depth=2",
        **_common(),
    )


def _api() -> str:
    return request.script_root + "/api/v1"


def _common() -> dict:
    api = _api()
    return {
        "entity_network_url": api + "/entities/{id}/network?depth=1",
        "owners_url": api + "/entities/{id}/owners",
        "paths_url": api + "/paths",
        "entity_page_url": request.script_root + "/entities/{id}/network",
        "schemata": [(name, _schema_label(name)) for name in LEGEND_SCHEMATA],
        "relation_kinds": [
            (info.name, ftm_label(info.label)) for info in ftm_schema.schemata("relation")
        ],
        "case_roles": [(role, gettext(role)) for role in CASE_ROLES],
    }


def _schema_label(name: str) -> str:
    try:
        return ftm_label(ftm_schema.get_schema(name).label)
    except ftm_schema.UnknownSchema:
        return name or ""
