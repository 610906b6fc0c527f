"""Pages of the Excel ledgers (台账): template download, import and export."""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from yingji.core.auth.roles import Permission, Scope
from yingji.core.errors import DomainError
from yingji.core.http import UoW
from yingji.ledger import service as ledger_service
from yingji.ledger.schemas import ImportResult, LedgerKind
from yingji.web._nav import N_
from yingji.web._page_kit import EXPIRED, PostedForm, csrf_ok, error_page, refuse
from yingji.web._prevention_nav import prevention_context
from yingji.web._render import render
from yingji.web._session import PageUser, WebUser

router = APIRouter(include_in_schema=False)

# kind, label, the permission to export, the permission to import.
_KINDS: Final = (
    (LedgerKind.ENTERPRISES, N_("Enterprise ledger"), Permission.ORG_READ, Permission.ORG_WRITE),
    (LedgerKind.RISK_POINTS, N_("Risk point ledger"), Permission.RISK_READ, Permission.RISK_WRITE),
    (LedgerKind.HAZARDS, N_("Hazard ledger"), Permission.HAZARD_READ, Permission.HAZARD_REPORT),
)


def _may_import(web_user: WebUser, kind: LedgerKind, permission: Permission) -> bool:
    scope = web_user.actor.scope_for(permission)
    if scope is None:
        return False
    if kind is LedgerKind.ENTERPRISES:
        return scope is Scope.REGION  # enterprises cannot register enterprises
    return web_user.actor.scope_for(Permission.ORG_READ) is not None


def _page(
    request: Request,
    session: Session,
    web_user: WebUser,
    *,
    result: ImportResult | None = None,
    status: int = 200,
) -> Response:
    actor = web_user.actor
    cards = []
    for kind, label, read, write in _KINDS:
        exportable = actor.scope_for(read) is not None
        importable = _may_import(web_user, kind, write)
        if exportable or importable:
            cards.append(
                {
                    "kind": kind.value,
                    "label": label,
                    "exportable": exportable,
                    "importable": importable,
                    "result": result if result is not None and result.kind is kind else None,
                }
            )
    context: dict[str, Any] = prevention_context(session, web_user, "ledger")
    context.update(
        cards=cards,
        max_rows=ledger_service.MAX_ROWS,
        max_mib=ledger_service.MAX_BYTES // (1024 * 1024),
        max_export=ledger_service.MAX_EXPORT_ROWS,
    )
    return render(request, "ledger/index.html", context, status_code=status)


@router.get("/ledger")
def ledger_page(request: Request, uow: UoW, web_user: PageUser) -> Response:
    """Show, per ledger, the template download, the export and the upload form."""
    try:
        web_user.actor.require(Permission.RISK_READ)  # the tab's permission
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    return _page(request, uow.session, web_user)


@router.post("/ledger/{kind}/import")
def ledger_import(
    request: Request, uow: UoW, web_user: PageUser, form: PostedForm, kind: str
) -> Response:
    """Import an uploaded ledger (or only check it) and show the outcome or the errors."""
    if not csrf_ok(web_user, form):
        return error_page(request, uow.session, web_user, 403, EXPIRED)
    try:
        wanted = LedgerKind(kind)
    except ValueError:
        return error_page(request, uow.session, web_user, 404, N_("This record does not exist."))
    upload = form.get("file")
    content = b""
    if isinstance(upload, UploadFile):
        upload.file.seek(0)
        content = upload.file.read(ledger_service.MAX_BYTES + 1)
    dry_run = form.get("dry_run") == "1"
    try:
        result = ledger_service.import_ledger(
            uow.session, actor=web_user.actor, kind=wanted, content=content, dry_run=dry_run
        )
    except DomainError as exc:
        uow.session.rollback()
        return refuse(request, uow.session, web_user, exc)
    if result.errors:
        uow.session.rollback()
        return _page(request, uow.session, web_user, result=result, status=422)
    if not dry_run:
        uow.commit()
    return _page(request, uow.session, web_user, result=result)
