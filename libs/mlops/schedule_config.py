"""The `schedule:` section of a pipeline config: when Vertex AI starts the pipeline by itself.

`mlops schedule create CONFIG --env ENV` turns it into a Vertex AI PipelineJobSchedule (the native
alternative to the trigger functions' Cloud Scheduler job, docs/triggers.md). Checked up front like
the rest of the config, so a typo in the cron or the time zone fails here, not at the API.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, Field, field_validator, model_validator

from mlops.config import _Section

# One cron field: `*`, numbers, ranges, steps and lists, or names (JAN, MON); 5 fields in all.
_CRON_ITEM = r"(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?"
_CRON_FIELD = re.compile(rf"^{_CRON_ITEM}(,{_CRON_ITEM})*$")


class ScheduleConfig(_Section):
    """A cron schedule in a time zone, with at most `max_concurrent_runs` runs at once (no queueing)."""

    cron: str = Field(description="five fields: minute hour day-of-month month day-of-week, e.g. '0 3 * * 1'")
    time_zone: str = Field(default="UTC", description="an IANA time zone, e.g. Europe/London")
    max_concurrent_runs: int = Field(default=1, ge=1, le=100, description="runs started while others still run")
    start_time: AwareDatetime | None = Field(default=None, description="no run before (RFC 3339, with offset)")
    end_time: AwareDatetime | None = Field(default=None, description="no run after (RFC 3339, with offset)")

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, value: str) -> str:
        fields = value.split()
        if len(fields) != 5 or not all(_CRON_FIELD.match(field) for field in fields):
            raise ValueError(f"expected five cron fields like '0 3 * * 1' (time zone in time_zone), got {value!r}")
        return " ".join(fields)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. UTC, Europe/London)") from None
        return value

    @model_validator(mode="after")
    def _ordered(self) -> ScheduleConfig:
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            start, end = self.start_time.isoformat(), self.end_time.isoformat()
            raise ValueError(f"end_time {end} is not after start_time {start}")
        return self

    def vertex_cron(self) -> str:
        """The cron as Vertex AI takes it, the time zone as its `TZ=` prefix."""
        return f"TZ={self.time_zone} {self.cron}"

    @staticmethod
    def rfc3339(moment: datetime | None) -> str | None:
        """A time as the API's RFC 3339 string (None stays None)."""
        return moment.isoformat() if moment else None
