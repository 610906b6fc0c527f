"""HTTP routes for uploading and reading attachments."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import FileResponse
from starlette.datastructures import UploadFile

from yingji.core import files
from yingji.core.auth.deps import CurrentActor
from yingji.core.config import Settings
from yingji.core.errors import InvalidInput, NotFound
from yingji.core.http import UoW

router = APIRouter(prefix="/api", tags=["attachments"])

# The multipart envelope around the file: boundaries, headers, a filename.
_ENVELOPE: Final = 64 * 1024
MAX_REQUEST: Final = files.MAX_BYTES + _ENVELOPE


class PayloadTooLarge(InvalidInput):
    """The request body exceeds the upload limit (HTTP 413)."""

    status_code = 413
    code = "too_large"


async def _uploaded_file(request: Request) -> tuple[bytes, str]:
    """Read the multipart body, refusing it as soon as it exceeds the limit."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_REQUEST:
        raise PayloadTooLarge(
            f"the upload is larger than {files.MAX_BYTES // (1024 * 1024)} MiB", field="file"
        )
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidInput("send the file as multipart/form-data", field="file")
    if request._form is None:  # not parsed yet (a CSRF form field would have been)
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_REQUEST:
                raise PayloadTooLarge(
                    f"the upload is larger than {files.MAX_BYTES // (1024 * 1024)} MiB",
                    field="file",
                )
            chunks.append(chunk)
        request._body = b"".join(chunks)  # Starlette parses the bytes already read
    try:
        form = await request.form(max_files=1, max_fields=5)
    except Exception as exc:  # malformed multipart: the parser's errors vary
        raise InvalidInput("the upload is not valid multipart/form-data", field="file") from exc
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput("send the file in the form field 'file'", field="file")
    data = await upload.read(files.MAX_BYTES + 1)
    return data, upload.filename or ""


_UPLOAD_BODY: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


@router.post("/attachments", status_code=status.HTTP_201_CREATED, openapi_extra=_UPLOAD_BODY)
def upload_attachment(
    actor: CurrentActor,
    uow: UoW,
    request: Request,
    upload: Annotated[tuple[bytes, str], Depends(_uploaded_file)],
) -> dict[str, Any]:
    """Upload a photo (JPEG, PNG, WebP) or a PDF of at most 10 MiB; link it by its id later."""
    settings: Settings = request.app.state.settings
    data, filename = upload
    attachment = files.store(
        uow.session, data_dir=settings.data_dir, data=data, filename=filename, actor=actor
    )
    uow.commit()
    return files.attachment_meta(attachment)


@router.get("/attachments/{attachment_id}", response_class=FileResponse)
def read_attachment(
    uow: UoW, actor: CurrentActor, request: Request, attachment_id: uuid.UUID
) -> FileResponse:
    """Return an attachment's bytes, if the caller may read the record it documents."""
    settings: Settings = request.app.state.settings
    attachment = files.get_readable(uow.session, attachment_id, actor=actor)
    path: Path = files.storage_path(settings.data_dir, attachment.sha256)
    if not path.is_file():
        raise NotFound("the file of this attachment is missing", field="attachment_id")
    inline = attachment.content_type.startswith("image/")
    return FileResponse(
        path,
        media_type=attachment.content_type,
        filename=attachment.filename or f"{attachment.id}",
        content_disposition_type="inline" if inline else "attachment",
        headers={
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
