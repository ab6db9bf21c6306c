"""assettrack: trace, freeze, manage and confiscate criminal assets — the case manager."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

__all__ = ["create_app"]

_ENV_PREFIX = "ASSETTRACK_"


def create_app(config: dict | None = None) -> Flask:
    """Build the application: defaults → instance/config.py → ASSETTRACK_* env → ``config``."""
    app = Flask(
        __name__,
        instance_path=(config or {}).get("INSTANCE_PATH")
        or os.environ.get(f"{_ENV_PREFIX}INSTANCE_PATH")
        or str(Path(__file__).resolve().parent.parent / "instance"),
        instance_relative_config=True,
        template_folder=str(Path(__file__).resolve().parent.parent / "templates"),
    )
    app.config.from_object("assettrack.config")
    app.config.from_pyfile("config.py", silent=True)
    for key, value in os.environ.items():
        if key.startswith(_ENV_PREFIX) and key != f"{_ENV_PREFIX}INSTANCE_PATH":
            name = key[len(_ENV_PREFIX) :]
            app.config[name] = _from_env(name, value, app.config.get(name))
    app.config.update(config or {})
    _derive_paths_and_secrets(app)

    from . import api
    from . import audit
    from . import auth
    from . import db
    from . import i18n
    from . import jobs
    from . import routing
    from . import security
    from . import web
    from .cli import register_cli

    routing.init_app(app)  # before any blueprint adds a route
    db.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    jobs.init_app(app)
    audit.init_app(app)
    web.init_app(app)
    api.init_app(app)
    register_cli(app)
    return app


def _derive_paths_and_secrets(app: Flask) -> None:
    _tighten_umask()
    instance = Path(app.instance_path)
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'assettrack.sqlite'}"
    for name, filename in (
        ("SECRET_KEY", "secret_key"),
        ("AUDIT_KEY", "audit_key"),
        ("DATA_KEY", "data_key"),
    ):
        if not app.config.get(name):
            app.config[name] = _read_or_create_secret(instance / filename)
    if not app.config.get("AUDIT_CHECKPOINT"):
        app.config["AUDIT_CHECKPOINT"] = str(instance / "audit-checkpoint.json")
    if not app.config.get("AUDIT_KEYRING"):
        app.config["AUDIT_KEYRING"] = str(instance / "audit-keys")
    if not app.config.get("FILES_DIR"):
        app.config["FILES_DIR"] = str(instance / "files")
    Path(app.config["FILES_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    paths = [Path(app.config["FILES_DIR"]), Path(app.config["AUDIT_CHECKPOINT"])]
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        paths.append(Path(url.removeprefix("sqlite:///").split("?")[0]))
    _restrict(instance, *paths)


def _tighten_umask() -> None:
    # Police data: every file this process writes later (SQLite database and its journal, job
    # queue, uploads, reports, audit checkpoint) is readable and writable by its owner only.
    os.umask(os.umask(0o077) | 0o077)


def _restrict(instance: Path, *paths: Path) -> None:
    """Take group and world access away from instance/ and what it holds (left by an older
    version or copied in with a loose umask); files and folders of other owners are left."""
    for path in (instance, *instance.iterdir(), *paths):
        try:
            info = path.lstat()
            if info.st_uid == os.getuid() and info.st_mode & 0o077 and not path.is_symlink():
                path.chmod(info.st_mode & 0o700)
        except (FileNotFoundError, PermissionError):
            continue


def _from_env(name: str, value: str, default):
    """Convert an environment string to the type of the setting's default."""
    if isinstance(default, bool):
        if value.strip().lower() not in _BOOLEANS:
            raise ValueError(f"{_ENV_PREFIX}{name} must be true or false, not {value!r}")
        return _BOOLEANS[value.strip().lower()]
    if isinstance(default, int):
        return int(value)
    if isinstance(default, timedelta):
        return timedelta(seconds=int(value))
    if isinstance(default, tuple):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return value


_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True,
             "0": False, "false": False, "no": False, "off": False}


def _read_or_create_secret(path: Path) -> str:
    # Generated on first run and kept in instance/, outside the database and the repository.
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process (web worker, job worker) created it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value
