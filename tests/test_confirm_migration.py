"""The confirm migration: only past confirmations within the term become ``confirm``.

Before it, a judicial freeze of an asset under an urgent freeze was stored as a ``freeze``
with ``confirms_urgent``, even after the lapse. DECISIONS.md #13: those within the term become
``confirm``; later ones stay ``freeze`` flagged "lapse not acknowledged (migrated)"; the
migration prints how each year's figures change and ``db upgrade`` audits it once.

Each backend gets a database of its own, since the test moves the schema down and up again.
"""

import uuid
from datetime import date

import pytest
import time_machine
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine
from sqlalchemy import select
from sqlalchemy import text

from assettrack.cli import MIGRATIONS
from assettrack.db import get_session
from assettrack.models import AuditEntry
from assettrack.models import Decision
from assettrack.services import accounts
from assettrack.services import cases as case_service
from assettrack.services import decisions as decision_service
from assettrack.services import entities as entity_service
from assettrack.services import stats as stats_service
from tests.conftest import PASSWORD
from tests.conftest import PG_ADMIN_URL
from tests.conftest import _make_app
from tests.conftest import _migrate_and_seed

ORDER = {"authority": "Rechtbank Rotterdam", "legal_basis": "Art. 94 Sv"}


@pytest.fixture(params=["sqlite", "postgresql"])
def own_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migration.sqlite'}"
        return
    name = f"assettrack_confirm_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the same rule as conftest: skipped without a server
        admin.dispose()
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _alembic(url):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def test_past_confirmations_are_split_at_the_lapse_printed_and_audited_once(
    own_database, tmp_path, capsys
):
    app = _make_app(own_database, tmp_path / "instance")
    _migrate_and_seed(app)
    with app.app_context():
        db = get_session()
        officer = accounts.create_user(
            db,
            None,
            email="officer@nlrtm.example.test",
            name="Officer",
            role="officer",
            organisation_codes=["NLRTM"],
            password=PASSWORD,
        )
        case = case_service.create_case(db, officer, {"title": "Kralingen", "tlp": "AMBER"})
        a, b = (
            entity_service.add_entity_to_case(
                db, officer, case, {"schema": "RealEstate", "properties": {"name": name}}
            ).entity_id
            for name in ("Villa A", "Villa B")
        )
        db.commit()

        def decide(action, asset, day, **extra):
            with time_machine.travel(f"{day.isoformat()}T10:00:00Z", tick=False):
                decision = decision_service.record_decision(
                    db,
                    officer,
                    case,
                    {
                        "action": action,
                        "asset_ids": [asset],
                        "decided_on": day.isoformat(),
                        "reference": f"{action}-{asset}-{day}",
                        **ORDER,
                        **extra,
                    },
                )
                db.commit()
            return decision.id

        # Both urgent on Thursday 23 April 2026: they hold until Tuesday 5 May (7 working
        # days, King's Day skipped). A is confirmed on 28 April, within its term; B only on
        # 7 May, after the lapse (recorded today as a new order, rewritten below to what the
        # old code stored: a freeze "confirming" the urgent one).
        decide("freeze", a, date(2026, 4, 23), urgent=True)
        decide("freeze", b, date(2026, 4, 23), urgent=True)
        within = decide("confirm", a, date(2026, 4, 28))
        late = decide("freeze", b, date(2026, 5, 7), lapse_acknowledged=True)
        db.close()

    config = _alembic(own_database)
    command.downgrade(config, "0010")
    engine = create_engine(own_database)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE decision SET confirms_urgent = :yes WHERE id IN (:a, :b)"),
            {"yes": True, "a": within, "b": late},
        )
        stored = conn.execute(
            text("SELECT action FROM decision WHERE confirms_urgent = :yes"), {"yes": True}
        )
        assert set(stored.scalars()) == {"freeze"}
    engine.dispose()
    capsys.readouterr()

    command.upgrade(config, "heads")
    printed = capsys.readouterr().out
    assert "2 confirmation(s) of urgent freezes reclassified, 1 after the lapse" in printed
    assert "2026: freezing orders +1, confirmations -1" in printed

    with app.app_context():
        db = get_session()
        rows = {d.id: d for d in db.scalars(select(Decision))}
        assert (rows[within].action, rows[within].lapse_flag) == ("confirm", None)
        assert (rows[late].action, rows[late].lapse_flag) == (
            "freeze",
            "not_acknowledged_migrated",
        )
        org_id = officer.organisation_id
        stats = stats_service.directive_statistics(db, org_id, 2026)
        assert stats["freezing_orders"] == 3  # two urgent freezes and B's late order
        assert stats["confirmations_of_urgent_freezes"] == 1
        assert stats["new_orders_after_lapse"] == 1
        assert stats["lapse_not_acknowledged"] == 1
        db.close()

    runner = app.test_cli_runner()
    first = runner.invoke(args=["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert "2 confirmation(s) of urgent freezes reclassified" in first.output
    assert "NLRTM 2026: freezing orders +1, confirmations of urgent freezes -1" in first.output
    again = runner.invoke(args=["db", "upgrade"])
    assert "reclassified" not in again.output
    with app.app_context():
        db = get_session()
        entries = db.scalars(
            select(AuditEntry).where(
                AuditEntry.object_type == "decision", AuditEntry.actor == "migration"
            )
        ).all()
        assert sorted(int(e.object_id) for e in entries) == sorted([within, late])
        db.close()
    app.extensions["assettrack.engine"].dispose()
