"""``assettrack import-ftm``, ``export-ftm``, ``import-bods`` and ``import-register``.

Each command acts for an officer of the case's organisation: ``--user EMAIL``, else the
officer assigned to the case, else the one who opened it. Nothing is written when the file has
a bad line (exit status 2, naming the first ones) unless ``--skip-invalid``.
"""

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..db import get_session
from ..domain.ftm import ImportFailed
from ..errors import DomainError
from . import fail

__all__ = ["COMMANDS", "import_ftm_command", "export_ftm_command", "import_bods_command"]

_FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
_CASE_HELP = "Reference of the case, e.g. NLRTM-2026-0001."
_USER_HELP = "E-mail of the officer acting (default: the case's officer)."


@click.command("import-ftm")
@click.argument("file", type=_FILE)
@click.option("--case", "reference", required=True, help=_CASE_HELP)
@click.option("--skip-invalid", is_flag=True, help="Leave bad lines out and import the rest.")
@click.option("--user", "email", default=None, help=_USER_HELP)
@with_appcontext
def import_ftm_command(file, reference, skip_invalid, email):
    """Import FILE, FollowTheMoney entities (JSON lines or a JSON array, plain or gzip)."""
    _import_file("import_ftm", file, reference, email, skip_invalid)


@click.command("import-bods")
@click.argument("file", type=_FILE)
@click.option("--case", "reference", required=True, help=_CASE_HELP)
@click.option("--skip-invalid", is_flag=True, help="Leave bad statements out and import the rest.")
@click.option("--user", "email", default=None, help=_USER_HELP)
@with_appcontext
def import_bods_command(file, reference, skip_invalid, email):
    """Import FILE, Beneficial Ownership Data Standard 0.4 statements (JSON array or lines)."""
    _import_file("import_bods", file, reference, email, skip_invalid)


def _import_file(importer: str, file, reference, email, skip_invalid) -> None:
    """Run ``services.imports.<importer>`` on FILE into the case, with progress and summary."""
    from ..services import imports

    db = get_session()
    case, user = _case_and_user(db, reference, email)
    report = _run(
        lambda progress: getattr(imports, importer)(
            db, user, case, file, skip_invalid=skip_invalid, progress=progress
        )
    )
    db.commit()
    _summary(report)


@click.command("export-ftm")
@click.option("--case", "reference", required=True, help=_CASE_HELP)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
@click.option("--user", "email", default=None, help=_USER_HELP)
@with_appcontext
def export_ftm_command(reference, out, email):
    """Write a case as FollowTheMoney JSON lines (logged as a disclosure)."""
    from ..services import imports

    db = get_session()
    case, user = _case_and_user(db, reference, email)
    justification = "FollowTheMoney export by command line"
    try:
        if out is None:
            counts = imports.export_ftm(db, user, case, sys.stdout, justification=justification)
        else:
            with out.open("w", encoding="utf-8", newline="\n") as fh:
                counts = imports.export_ftm(db, user, case, fh, justification=justification)
    except DomainError as exc:
        fail(exc)
    db.commit()
    click.echo(
        f"{counts['entities']} entities and {counts['relations']} relations of {case.reference}"
        + (f" written to {out}" if out else ""),
        err=out is None,
    )


@click.command("import-register")
@click.argument("file", type=_FILE)
@click.option("--case", "reference", required=True, help=_CASE_HELP)
@click.option("--mapping", "mapping_name", default=None, help="A saved column mapping.")
@click.option(
    "--columns",
    default=None,
    help="field=COLUMN pairs, e.g. name=Nome,status=stato,region=NOME_REG,external_id=ID.",
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    help='"LABEL=STAGE": what a status of the register means (STAGE empty: keep the label).',
)
@click.option("--type", "types", multiple=True, help='"LABEL=SCHEMA": an FtM schema for a type.')
@click.option(
    "--default",
    "defaults",
    multiple=True,
    help="FIELD=VALUE for fields without a column: country, schema, currency, register, "
    "manager, decimal.",
)
@click.option("--save-mapping", default=None, help="Save the mapping used under this name.")
@click.option("--preview", is_flag=True, help="Show the first rows as read, write nothing.")
@click.option("--skip-invalid", is_flag=True, help="Leave bad rows out and import the rest.")
@click.option("--user", "email", default=None, help=_USER_HELP)
@with_appcontext
def import_register_command(
    file,
    reference,
    mapping_name,
    columns,
    statuses,
    types,
    defaults,
    save_mapping,
    preview,
    skip_invalid,
    email,
):
    """Import FILE, a register of assets (CSV or XLSX), with --mapping NAME or --columns."""
    from ..services import registers

    db = get_session()
    case, user = _case_and_user(db, reference, email)
    try:
        params = {
            "mapping": mapping_name,
            "columns": columns,
            "statuses": _pairs(statuses),
            "types": _pairs(types),
            "defaults": _pairs(defaults),
        }
        mapping = registers.mapping_from_params(db, case.organisation_id, params)
        if not mapping.columns:
            table = registers.read_table(file)
            mapping.columns = registers.suggest_columns(table.headers)
            click.echo(
                "no --mapping or --columns: using the suggested columns "
                + ", ".join(f"{k}={v}" for k, v in mapping.columns.items()),
                err=True,
            )
        if preview:
            _show_preview(registers.preview_register(file, mapping, limit=10))
            return
        if save_mapping:
            registers.save_mapping(db, user, save_mapping, mapping)
    except DomainError as exc:
        fail(exc)
    report = _run(
        lambda progress: registers.import_register(
            db, user, case, file, mapping, skip_invalid=skip_invalid, progress=progress
        )
    )
    db.commit()
    _summary(report)
    click.echo("statuses:")
    for label, count in sorted(report.statuses.items(), key=lambda i: -i[1]):
        click.echo(f"  {count:>8}  {label}")
    click.echo(f"{report.decisions} register decisions recorded (left out of the statistics)")


COMMANDS = (
    import_ftm_command,
    export_ftm_command,
    import_bods_command,
    import_register_command,
)


# --- helpers ---------------------------------------------------------------------------------


def _case_and_user(db, reference, email):
    from .. import access
    from ..models import Case
    from ..models import User
    from ..services import accounts

    case = db.scalar(select(Case).where(Case.reference == reference))
    if case is None:
        click.echo(f"error: no case {reference}", err=True)
        sys.exit(2)
    try:
        if email:
            user = accounts.get_user_by_email(db, email)
        else:
            user = None
            for user_id in (case.assigned_officer_id, case.created_by_id):
                candidate = db.get(User, user_id) if user_id else None
                if candidate is not None and access.can_edit_case(candidate, case):
                    user = candidate
                    break
            if user is None:
                click.echo(
                    f"error: case {reference} has no active officer; name one with --user",
                    err=True,
                )
                sys.exit(2)
    except DomainError as exc:
        fail(exc)
    return case, user


def _run(work):
    """Run an import with a progress bar; exit 2 naming the bad lines when it fails."""
    with click.progressbar(length=100, label="importing", file=sys.stderr) as bar:
        state = {"done": 0}

        def progress(percent, message=None):
            step = max(0, int(percent) - state["done"])
            if step:
                bar.update(step)
                state["done"] += step

        try:
            report = work(progress)
        except ImportFailed as exc:
            _bad_lines(exc)
        except DomainError as exc:
            fail(exc)
        bar.update(100 - state["done"])
    return report


def _bad_lines(exc: ImportFailed):
    click.echo("", err=True)
    click.echo(f"error: {len(exc.problems)} bad line(s); nothing imported", err=True)
    for problem in exc.problems[:10]:
        click.echo(f"  line {problem['line']}: {problem['reason']}", err=True)
    if len(exc.problems) > 10:
        click.echo(f"  ... and {len(exc.problems) - 10} more", err=True)
    click.echo("(--skip-invalid imports the other lines)", err=True)
    sys.exit(2)


def _summary(report) -> None:
    click.echo(f"{report.format} import into {report.case} ({report.seconds:.1f} s):")
    for schema_name, count in report.counts.items():
        click.echo(f"  {count:>8}  {schema_name}")
    click.echo(
        f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
        f"linked to the case {report.linked}"
    )
    if report.skipped:
        click.echo(f"skipped {len(report.skipped)} bad line(s):")
        for problem in report.skipped[:20]:
            click.echo(f"  line {problem['line']}: {problem['reason']}")
    for warning in report.warnings[:10]:
        lines = ", ".join(str(n) for n in warning["lines"][:5])
        more = "..." if warning["count"] > 5 else ""
        click.echo(f"warning ({warning['count']}x, lines {lines}{more}): {warning['message']}")


def _pairs(values) -> dict:
    pairs = {}
    for value in values:
        key, sep, target = value.partition("=")
        if not sep:
            click.echo(f"error: {value!r}: write LABEL=VALUE", err=True)
            sys.exit(2)
        pairs[key.strip()] = target.strip()
    return pairs


def _show_preview(preview: dict) -> None:
    click.echo(
        f"{preview['format']}, encoding {preview['encoding']}, delimiter "
        f"{preview['delimiter']!r}, {preview['row_count']} rows"
    )
    click.echo(
        "columns: " + ", ".join(f"{k}={v}" for k, v in preview["mapping"]["columns"].items())
    )
    for row in preview["rows"]:
        marks = "; ".join(f"{k}: {v}" for k, v in row["errors"].items()) or "ok"
        click.echo(
            f"  row {row['line']}: {row['schema']} {row['name']!r} status {row['status']!r} "
            f"-> {row['target'] or 'label only'} [{marks}]"
        )
    click.echo("statuses:")
    for status in preview["statuses"]:
        click.echo(
            f"  {status['count']:>8}  {status['status']} -> {status['target'] or 'label only'}"
        )
