"""Fuzzing: every route of the OpenAPI document, with a token of each role, answers within it.

Schemathesis reads /api/v1/openapi.json from the application itself (so routes added later are
fuzzed without touching this file), generates requests from each operation's parameters and
body schema, and sends them in-process through WSGI. A 5xx, a status code the operation does
not document, a content type it does not declare or a body outside its schema fails the test.
The examples per route are bounded (``EXAMPLES``) so the whole run stays within about a minute.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import Phase
from hypothesis import given
from hypothesis import settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.checks import status_code_conformance

from assettrack.services import entities as entity_service

ROLES = ("officer", "liaison", "partner", "auditor", "admin")
#: Generated requests per route, role and mode (valid / invalid input); shrinking is off, so a
#: failure costs no more. 2 keeps the run near 30 s on 2 cores (3: about 50 s).
EXAMPLES = 2
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def tokens(session, make_user, make_case, token_for):
    """A token of each role, and something for them to find: a case with an asset."""
    officer = make_user("officer", "NLRTM")
    case = make_case(officer)
    entity_service.add_entity_to_case(
        session,
        officer,
        case,
        {"schema": "RealEstate", "properties": {"name": ["Warehouse, Maasvlakte 7"]}},
    )
    session.commit()
    users = {"officer": officer}
    users["liaison"] = make_user("liaison", "NLRTM", "ITGOA")
    for role in ("partner", "auditor", "admin"):
        users[role] = make_user(role, "NLRTM")
    return {role: token_for(users[role]) for role in ROLES}


# Schemathesis' WSGI transport leaves a streamed download (a report's PDF) unclosed.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_every_route_of_the_spec_answers_within_it(app, tokens):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for role in ROLES:
            headers = {"Authorization": f"Bearer {tokens[role]}"}
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failure = _fuzz(operation, headers, mode)
                if failure:
                    failures.append(f"{role} {mode.value} {operation.label}: {failure}")
    assert operations > 20, "the OpenAPI document lost its routes"
    assert not failures, "\n\n".join(failures)


def _fuzz(operation, headers, mode) -> str | None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, headers=headers))
    def run(case):
        case.call_and_validate(checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as error:  # reported; every route still fuzzed
        return _summary(error)
    return None


def _summary(error: BaseException) -> str:
    """The lines of a Schemathesis failure that say what broke and how to reproduce it."""
    keep = ("Error", "Schema at", "Received", "Documented", "curl", "[", "is not", "Traceback")
    lines = [line.strip(" |+-") for line in str(error).splitlines()]
    for sub in getattr(error, "exceptions", ()):
        lines += [line.strip(" |+-") for line in str(sub).splitlines()]
    shown = []
    for line in lines:
        if line and any(mark in line for mark in keep) and line not in shown:
            shown.append(line[:300])
    return "\n    ".join(shown[:12])
