"""Comments on a case (or on one of its tasks), their edits and the @mentions that notify.

A mention is ``@`` and the local part of a user's e-mail address (``@jan.devries``), or the
whole address when two readers share a local part (``@jan@antwerpen.example``). Only a user
who may read the case can be mentioned; any other name refuses the comment, saying which. Each
mentioned user is told once per comment (``notifications.notify`` with a dedupe key), also when
an edit adds them. An edit keeps the earlier text in ``comment_version``; every write and every
reading of a comment's history is audited.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlmodel import Session

from .. import access
from .. import audit
from ..errors import AccessDenied
from ..errors import Invalid
from ..errors import Msg
from ..errors import NotFound
from ..models import Case
from ..models import User
from ..models import utcnow
from ..models.comments import BODY_MAX
from ..models.comments import Comment
from ..models.comments import CommentVersion
from ..models.notifications import NotificationEvent
from ..routing import id_value
from . import notifications

__all__ = [
    "CommentView",
    "mentions_in",
    "add",
    "edit",
    "get_comment",
    "list_for_case",
    "history",
]

# ``@`` not glued to a word or an address before it, then a local part, maybe a domain.
_MENTION = re.compile(
    r"(?<![\w@.])@([A-Za-z0-9][A-Za-z0-9._%+-]*(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)"
)


@dataclass(frozen=True)
class CommentView:
    """A comment as the case page shows it."""

    id: int
    body: str
    author: str
    author_id: int
    created_at: datetime
    edited_at: datetime | None
    version: int
    task_id: int | None


def mentions_in(body: str) -> list[str]:
    """Return the handles mentioned in ``body``, lower-cased, once each, in order.

    >>> mentions_in("Ask @Jan.Devries and @ana@genova.example, not me@x.test; @jan.devries.")
    ['jan.devries', 'ana@genova.example']
    """
    seen = []
    for match in _MENTION.finditer(body or ""):
        handle = match.group(1).rstrip("._-%+").lower()
        if handle and handle not in seen:
            seen.append(handle)
    return seen


def add(
    session: Session,
    user: User,
    case: Case,
    body: str,
    *,
    task_id=None,
    link: str | None = None,
) -> Comment:
    """Write a comment on ``case`` (or on its task ``task_id``) and tell the users it mentions."""
    access.require_edit_case(user, case)
    body = _clean_body(body)
    errors = {}
    task = None
    if task_id not in (None, ""):
        try:
            task = id_value(task_id)
        except (TypeError, ValueError):
            errors["task_id"] = Msg("is not an id")
    mentioned = _mentioned(session, case, body, errors)
    if errors:
        raise Invalid(errors)
    comment = Comment(
        case_id=case.id,
        task_id=task,
        organisation_id=case.organisation_id,
        author_id=user.id,
        body=body,
    )
    session.add(comment)
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.CREATE,
        "comment",
        comment.id,
        details={"case": case.reference, "task": task, "mentions": [u.id for u in mentioned]},
        organisation_id=case.organisation_id,
    )
    _tell(session, user, case, comment, mentioned, link)
    return comment


def edit(session: Session, user: User, comment_id: int, body: str, *, link=None) -> Comment:
    """Change a comment's text (its author only); the earlier text is kept as a version."""
    comment, case = get_comment(session, user, comment_id)
    access.require_edit_case(user, case)
    if comment.author_id != user.id:
        raise AccessDenied("only its author may change a comment")
    body = _clean_body(body)
    errors = {}
    mentioned = _mentioned(session, case, body, errors)
    if errors:
        raise Invalid(errors)
    if body == comment.body:
        return comment
    now = utcnow()
    session.add(
        CommentVersion(
            comment_id=comment.id,
            version=comment.version,
            body=comment.body,
            written_at=comment.edited_at or comment.created_at,
            replaced_at=now,
            replaced_by_id=user.id,
        )
    )
    comment.body = body
    comment.version += 1
    comment.edited_at = now
    session.add(comment)
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.UPDATE,
        "comment",
        comment.id,
        details={
            "case": case.reference,
            "version": comment.version,
            "mentions": [u.id for u in mentioned],
        },
        organisation_id=case.organisation_id,
    )
    _tell(session, user, case, comment, mentioned, link)
    return comment


def get_comment(session: Session, user: User, comment_id: int) -> tuple[Comment, Case]:
    """Return a comment and its case if ``user`` may read the case, else NotFound."""
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(f"comment {comment_id} not found")
    try:
        case = access.get_case(session, user, comment.case_id)
    except NotFound:
        raise NotFound(f"comment {comment_id} not found") from None
    return comment, case


def list_for_case(session: Session, user: User, case: Case, *, task_id=None) -> list[CommentView]:
    """Return the comments of a case (or of one of its tasks), oldest first, in one query."""
    if case.organisation_id not in access.readable_organisation_ids(session, user):
        raise NotFound(f"case {case.id} not found")
    query = (
        select(Comment, User.name)
        .join(User, User.id == Comment.author_id)
        .where(Comment.case_id == case.id)
        .order_by(Comment.created_at, Comment.id)
    )
    if task_id is not None:
        query = query.where(Comment.task_id == task_id)
    return [
        CommentView(
            id=c.id,
            body=c.body,
            author=name,
            author_id=c.author_id,
            created_at=c.created_at,
            edited_at=c.edited_at,
            version=c.version,
            task_id=c.task_id,
        )
        for c, name in session.execute(query).all()
    ]


def history(session: Session, user: User, comment_id: int):
    """Return ``(comment, case, earlier versions newest first)``; the reading is audited."""
    comment, case = get_comment(session, user, comment_id)
    versions = list(
        session.scalars(
            select(CommentVersion)
            .where(CommentVersion.comment_id == comment.id)
            .order_by(CommentVersion.version.desc())
        )
    )
    audit.record(
        session,
        user,
        audit.Action.READ,
        "comment",
        comment.id,
        details={"case": case.reference, "history": len(versions)},
        organisation_id=case.organisation_id,
    )
    return comment, case, versions


# --- helpers -----------------------------------------------------------------------------------


def _clean_body(body) -> str:
    body = (body if isinstance(body, str) else "").strip()
    if not body:
        raise Invalid({"body": Msg("write the comment")})
    if len(body) > BODY_MAX:
        raise Invalid(
            {
                "body": Msg(
                    "is {length} characters long; the limit is {limit}",
                    length=len(body),
                    limit=BODY_MAX,
                )
            }
        )
    return body


def _mentioned(session: Session, case: Case, body: str, errors: dict) -> list[User]:
    """The users ``body`` mentions, each of whom may read ``case``; else an error on ``body``."""
    handles = mentions_in(body)
    if not handles:
        return []
    local = [h for h in handles if "@" not in h]
    whole = [h for h in handles if "@" in h]
    conditions = [func.lower(User.email).in_(whole)] if whole else []
    conditions += [func.lower(User.email).like(_escape(h) + "@%", escape="\\") for h in local]
    candidates = session.scalars(select(User).where(User.active.is_(True), or_(*conditions)))
    readers: dict[str, list[User]] = {h: [] for h in handles}
    for candidate in candidates:
        if case.organisation_id not in access.readable_organisation_ids(session, candidate):
            continue
        address = candidate.email.lower()
        for handle in handles:
            if address == handle or address.split("@", 1)[0] == handle:
                readers[handle].append(candidate)
    unknown = [f"@{h}" for h, found in readers.items() if not found]
    several = [f"@{h}" for h, found in readers.items() if len(found) > 1]
    if unknown:
        errors["body"] = Msg(
            "{handles}: only someone who may read this case can be mentioned",
            handles=", ".join(unknown),
        )
    elif several:
        errors["body"] = Msg(
            "{handles}: several people may read this case under that name; mention them by "
            "their whole e-mail address",
            handles=", ".join(several),
        )
    return [found[0] for found in readers.values() if len(found) == 1]


def _tell(session, user, case, comment, mentioned, link) -> None:
    others = [u.id for u in mentioned if u.id != user.id]
    if others:
        notifications.notify(
            session,
            user_ids=others,
            event=NotificationEvent.MENTIONED,
            message=Msg(
                "{author} mentioned you in a comment on {reference}",
                author=user.name,
                reference=case.reference,
            ),
            case=case,
            link=link,
            dedupe_key=f"comment:{comment.id}:mention",
        )


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
