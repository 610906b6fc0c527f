"""HTTP routes of the Excel ledgers (台账): templates, import and export."""

from __future__ import annotations

from typing import Annotated, Final
from urllib.parse import quote

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse

from yingji.core.auth.deps import CurrentActor
from yingji.core.http import UoW
from yingji.ledger import service
from yingji.ledger._xlsx import MAX_BYTES, chunks
from yingji.ledger.schemas import ImportResult, LedgerKind
from yingji.orgs.schemas import REGION_CODE_PATTERN

router = APIRouter(prefix="/api", tags=["ledger"])

XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_NAMES: Final = {
    LedgerKind.ENTERPRISES: "企业台账",
    LedgerKind.RISK_POINTS: "风险点台账",
    LedgerKind.HAZARDS: "隐患台账",
}
RegionParam = Annotated[
    str | None, Query(pattern=REGION_CODE_PATTERN, description="a region code: its subtree")
]


def attachment(filename: str) -> dict[str, str]:
    """Return the Content-Disposition header of a download with a Chinese file name."""
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"}


def file_name(kind: LedgerKind, suffix: str) -> str:
    """Return the download name of a ledger file, e.g. 隐患台账-导入模板.xlsx."""
    return f"{_NAMES[kind]}-{suffix}.xlsx"


def read_upload(upload: UploadFile) -> bytes:
    """Read an upload, at most one byte beyond the size limit (the service refuses it)."""
    upload.file.seek(0)
    return upload.file.read(MAX_BYTES + 1)


@router.get(
    "/ledger/{kind}/template",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "the .xlsx template"}},
)
def download_template(actor: CurrentActor, kind: LedgerKind) -> Response:
    """Download the .xlsx template of a ledger, with an example sheet and a notes sheet."""
    return Response(
        service.template(kind), media_type=XLSX, headers=attachment(file_name(kind, "导入模板"))
    )


@router.post(
    "/ledger/{kind}/import",
    status_code=201,
    responses={422: {"model": ImportResult, "description": "nothing imported; errors listed"}},
)
def import_ledger(
    uow: UoW,
    actor: CurrentActor,
    kind: LedgerKind,
    file: Annotated[UploadFile, File(description="the filled-in .xlsx template")],
    dry_run: bool = False,
) -> JSONResponse:
    """Import a filled-in template: all rows, or none and the errors by row and column."""
    content = read_upload(file)
    result = service.import_ledger(
        uow.session, actor=actor, kind=kind, content=content, dry_run=dry_run
    )
    if result.errors:
        return JSONResponse(result.model_dump(mode="json"), status_code=422)
    if not dry_run:
        uow.commit()
    return JSONResponse(result.model_dump(mode="json"), status_code=200 if dry_run else 201)


@router.get(
    "/ledger/{kind}/export",
    response_class=StreamingResponse,
    responses={200: {"content": {XLSX: {}}, "description": "the records as .xlsx"}},
)
def export_ledger(
    uow: UoW, actor: CurrentActor, kind: LedgerKind, region: RegionParam = None
) -> StreamingResponse:
    """Export the records of a ledger the caller may read, in the template's columns."""
    stream = service.export_ledger(uow.session, actor=actor, kind=kind, region_code=region)
    return StreamingResponse(
        chunks(stream), media_type=XLSX, headers=attachment(file_name(kind, "导出"))
    )
