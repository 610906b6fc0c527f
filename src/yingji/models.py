"""Import every context's models so the metadata is complete (Alembic, tests)."""

from __future__ import annotations

import yingji.core.audit
import yingji.core.auth.models
import yingji.core.events
import yingji.core.files
import yingji.core.jobs
import yingji.core.outbox
import yingji.core.ratelimit_models
import yingji.hazards.models
import yingji.monitoring.models
import yingji.orgs.models
import yingji.regions.models
import yingji.reports.models
import yingji.risks.models
import yingji.warnings.models  # noqa: F401
from yingji.core.db import Base

metadata = Base.metadata
